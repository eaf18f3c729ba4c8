// Passkeys (WebAuthn): sign in with the phone's fingerprint, face or screen lock, and add a
// passkey under My sign-in. The server makes the challenges (py_webauthn); this module only turns
// its JSON into what navigator.credentials wants and back. Used by the login page, My sign-in
// and the phone page's in-place sign-in (reauth.js). No framework, no inline script.
import { fetchSend, message } from "./upload.js";

const b64 = {
  toBytes: (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "=")), (c) => c.charCodeAt(0)),
  fromBytes: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
};

export const passkeysWork = () => window.isSecureContext && "PublicKeyCredential" in window && !!navigator.credentials;

function post(url, csrf, body) {
  return fetchSend({ method: "POST", url, headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
    body: JSON.stringify(body ?? {}) });
}

// What a passkey prompt's failure means to a teacher.
function refused(err) {
  if (err?.name === "NotAllowedError") return "No passkey was used. Try again, or sign in with your password.";
  if (err?.name === "InvalidStateError") return "This device already holds a passkey for your account.";
  return "The passkey did not work on this device. Sign in with your password.";
}

// Sign in with a passkey. Answers {ok, status, message, csrf}: status 0 means no signal.
export async function signInWithPasskey(csrf) {
  const start = await post("/api/signin/passkey/options", csrf);
  if (start.status !== 200) return { ok: false, status: start.status, message: message(start.data, "The passkey sign-in could not start.") };
  const o = start.data;
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey: {
      challenge: b64.toBytes(o.challenge), rpId: o.rpId, timeout: o.timeout, userVerification: o.userVerification,
      allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: b64.toBytes(c.id) })) } });
  } catch (err) {
    return { ok: false, status: -1, message: refused(err) };
  }
  const r = credential.response;
  const reply = await post("/api/signin/passkey", csrf, { credential: {
    id: credential.id, rawId: b64.fromBytes(credential.rawId), type: credential.type, clientExtensionResults: {},
    response: { clientDataJSON: b64.fromBytes(r.clientDataJSON), authenticatorData: b64.fromBytes(r.authenticatorData),
      signature: b64.fromBytes(r.signature), userHandle: r.userHandle ? b64.fromBytes(r.userHandle) : null } } });
  return { ok: reply.status === 200, status: reply.status, csrf: reply.data?.csrf_token,
    message: message(reply.data, "The passkey was not accepted.") };
}

// Add a passkey to the signed-in account.
export async function addPasskey(csrf, name) {
  const start = await post("/api/signin/passkeys/new/options", csrf);
  if (start.status !== 200) return { ok: false, message: message(start.data, "Adding a passkey could not start. Check your signal and try again.") };
  const o = start.data;
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey: {
      ...o, challenge: b64.toBytes(o.challenge), user: { ...o.user, id: b64.toBytes(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64.toBytes(c.id) })) } });
  } catch (err) {
    return { ok: false, message: refused(err) };
  }
  const r = credential.response;
  const reply = await post("/api/signin/passkeys/new", csrf, { name, credential: {
    id: credential.id, rawId: b64.fromBytes(credential.rawId), type: credential.type, clientExtensionResults: {},
    response: { clientDataJSON: b64.fromBytes(r.clientDataJSON), attestationObject: b64.fromBytes(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [] } } });
  return { ok: reply.status === 201, message: reply.status === 201 ? "Passkey added." : message(reply.data, "The passkey could not be added.") };
}

// Wire the login page and My sign-in, when this module is loaded by them.
function wire() {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
  const show = (id, on) => { const node = document.getElementById(id); if (node) node.hidden = !on; };
  const say = (text) => { const node = document.getElementById("passkey-message"); if (node) node.textContent = text; };
  if (!csrf || !passkeysWork()) return;
  show("passkey-unsupported", false);
  show("passkey-signin", true);
  show("passkey-add", true);
  document.getElementById("passkey-signin-button")?.addEventListener("click", async () => {
    say("");
    const result = await signInWithPasskey(csrf);
    if (result.ok) location.assign(document.getElementById("passkey-signin").dataset.next || "/");
    else say(result.message);
  });
  document.getElementById("passkey-add-button")?.addEventListener("click", async () => {
    say("");
    const result = await addPasskey(csrf, document.getElementById("passkey-name").value.trim());
    if (result.ok) location.reload(); else say(result.message);
  });
}

if (typeof document !== "undefined" && document.querySelector("script[src$='js/passkey.js']")) wire();
