// The addresses proven for people, on PostgreSQL (written with the verification: verifications.ts).
import { and, desc, eq, sql } from 'drizzle-orm';
import { personAddresses } from '../../../db/schema.pg.js';
import type { PeoplePort, ProvenRow } from '../../people/ports.js';
import type { Purpose } from '../../verification/model.js';
import type { PgDb } from './open.js';

export class PostgresPeople implements PeoplePort {
  constructor(private readonly db: PgDb) {}

  private select() {
    return this.db
      .select({
        clientId: personAddresses.clientId,
        userRef: personAddresses.userRef,
        email: personAddresses.email,
        purpose: sql<Purpose>`${personAddresses.purpose}`,
        provenAt: personAddresses.provenAt,
        verificationId: personAddresses.verificationId,
        locale: sql<string | null>`(select locale from verifications where id = ${personAddresses.verificationId})`,
      })
      .from(personAddresses);
  }

  async addresses(clientId: string, userRef: string): Promise<ProvenRow[]> {
    return this.select()
      .where(and(eq(personAddresses.clientId, clientId), eq(personAddresses.userRef, userRef)))
      .orderBy(desc(personAddresses.provenAt))
      .limit(100);
  }

  async byAddress(email: string): Promise<ProvenRow[]> {
    return this.select().where(eq(personAddresses.email, email)).orderBy(desc(personAddresses.provenAt)).limit(100);
  }

  async byUserRef(userRef: string): Promise<ProvenRow[]> {
    return this.select().where(eq(personAddresses.userRef, userRef)).orderBy(desc(personAddresses.provenAt)).limit(100);
  }
}
