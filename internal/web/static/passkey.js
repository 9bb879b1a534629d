// Passkeys: the WebAuthn ceremony, which only a script can run. For a
// form with data-passkey="create" (the security page's "add a passkey")
// or "get" (log in, the second step, confirming who you are) it asks the begin route for the
// options (a same-origin POST carrying the form's CSRF token), calls
// navigator.credentials.create or .get, writes the result into the
// form's hidden fields and submits the form: the server's finish is an
// ordinary form post, verified by the identity service. Without this
// script (or without WebAuthn in the browser) the forms stay hidden.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decodeIDs(list) {
    (list || []).forEach(function (c) { c.id = fromB64url(c.id); });
  }

  // creation turns the server's PublicKeyCredentialCreationOptions (JSON,
  // base64url) into what navigator.credentials.create takes.
  function creation(pk) {
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    decodeIDs(pk.excludeCredentials);
    return { publicKey: pk };
  }
  function request(pk) {
    pk.challenge = fromB64url(pk.challenge);
    decodeIDs(pk.allowCredentials);
    return { publicKey: pk };
  }

  // The credential as go-webauthn parses it (base64url fields).
  function attestationJSON(c) {
    return JSON.stringify({
      id: c.id, rawId: toB64url(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: toB64url(c.response.clientDataJSON),
        attestationObject: toB64url(c.response.attestationObject),
        transports: c.response.getTransports ? c.response.getTransports() : []
      },
      clientExtensionResults: c.getClientExtensionResults()
    });
  }
  function assertionJSON(c) {
    return JSON.stringify({
      id: c.id, rawId: toB64url(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: toB64url(c.response.clientDataJSON),
        authenticatorData: toB64url(c.response.authenticatorData),
        signature: toB64url(c.response.signature),
        userHandle: c.response.userHandle ? toB64url(c.response.userHandle) : undefined
      },
      clientExtensionResults: c.getClientExtensionResults()
    });
  }

  function wire(form, register) {
    var errEl = form.querySelector("[data-error]");
    var button = form.querySelector("button[type=submit]");
    function fail(msg) {
      button.disabled = false;
      errEl.textContent = msg || form.getAttribute("data-failed");
      errEl.hidden = false;
    }
    form.hidden = false;
    var nojs = document.querySelector("[data-passkey-nojs]");
    if (nojs) { nojs.hidden = true; }
    form.addEventListener("submit", function (ev) {
      if (form.elements.credential.value !== "") { return; } // the finish
      ev.preventDefault();
      button.disabled = true;
      errEl.hidden = true;
      var body = new URLSearchParams();
      body.set("csrf", form.elements.csrf.value);
      fetch(form.getAttribute("data-begin"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body
      }).then(function (res) {
        return res.json();
      }).then(function (out) {
        if (out.reauth) { // the page asks who the session is, then returns
          form.submit();
          return null;
        }
        if (out.error || !out.options) { throw { server: out.error }; }
        form.elements.ceremony_id.value = out.ceremony_id;
        var pk = out.options.publicKey;
        return register ? navigator.credentials.create(creation(pk)) : navigator.credentials.get(request(pk));
      }).then(function (cred) {
        if (cred === null) { return; }
        form.elements.credential.value = register ? attestationJSON(cred) : assertionJSON(cred);
        form.submit();
      }).catch(function (e) {
        // The server's own message, else (the person cancelled, the
        // authenticator refused) the page's.
        fail(e && e.server);
      });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (f) {
    wire(f, f.getAttribute("data-passkey") === "create");
  });
})();
