// The example portal's passkey ceremonies in the browser, with @simplewebauthn/browser
// (served as /assets/webauthn.js). The options came with the page, so a ceremony starts
// straight from the click (Safari drops one started after a fetch); the browser's answer is
// posted in a form, and the portal's server asks mailcode whether it holds.
(() => {
  const { startAuthentication, startRegistration, browserSupportsWebAuthn, browserSupportsWebAuthnAutofill } =
    window.SimpleWebAuthnBrowser;
  const optionsOf = (id) => JSON.parse(document.getElementById(`${id}-options`).textContent);
  const post = (id) => (answer) => {
    const form = document.getElementById(`${id}-form`);
    form.elements.response.value = JSON.stringify(answer);
    form.submit();
  };
  const failed = (error) => {
    // Another ceremony took over (the button after the autofill): nothing went wrong.
    if (error.name === 'AbortError') return;
    const box = document.getElementById('passkey-error');
    box.textContent =
      error.name === 'NotAllowedError'
        ? 'No passkey was used (canceled, or it took too long). Try again.'
        : `The passkey did not work: ${error.message}`;
    box.hidden = false;
  };

  const signIn = document.getElementById('passkey-sign-in');
  if (signIn) {
    if (!browserSupportsWebAuthn()) signIn.hidden = true;
    else {
      const options = optionsOf('passkey-sign-in');
      signIn.addEventListener('click', () =>
        startAuthentication({ optionsJSON: options }).then(post('passkey-sign-in'), failed),
      );
      // Conditional UI: the address field offers the person's passkeys as they focus it.
      browserSupportsWebAuthnAutofill().then((supported) => {
        if (supported && signIn.dataset.autofill === 'yes')
          startAuthentication({ optionsJSON: options, useBrowserAutofill: true }).then(post('passkey-sign-in'), failed);
      });
    }
  }

  const add = document.getElementById('passkey-add');
  if (add) {
    if (!browserSupportsWebAuthn()) add.hidden = true;
    else
      add.addEventListener('click', () =>
        startRegistration({ optionsJSON: optionsOf('passkey-add') }).then(post('passkey-add'), failed),
      );
  }
})();
