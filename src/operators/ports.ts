// What operators need of storage. Each change is written with its events, in one transaction.
import type { NewEvent } from '../events/model.js';
import type { Operator } from './model.js';

export interface OperatorsPort {
  /** Undefined when an operator with this address exists already (nothing written). */
  create(operator: Operator, events: NewEvent[]): Promise<Operator | undefined>;
  list(): Promise<Operator[]>;
  get(id: string): Promise<Operator | undefined>;
  findByEmail(email: string): Promise<Operator | undefined>;
  /** False when there is no such active operator (nothing written). */
  disable(id: string, at: number, events: NewEvent[]): Promise<boolean>;
  /** False when there is no such operator (nothing written). */
  remove(id: string, events: NewEvent[]): Promise<boolean>;
}
