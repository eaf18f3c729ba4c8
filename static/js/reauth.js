// Signing in again inside the phone page, when the session has ended: password (and code), or a
// passkey. The page never navigates, so the queue, the draft and the typed caption stay where they
// are, and with no signal the sign-in simply waits for it (never the browser's "No internet" page).
import { $ } from "./dom.js";
import { fetchSend, message } from "./upload.js";
import { passkeysWork, signInWithPasskey } from "./passkey.js";

const state = { open: false, done: null, step: "password", busy: false };
const NO_SIGNAL = "No signal. You will be signed in as soon as there is signal: keep this page open. Nothing is lost.";

// Show the sign-in panel (once, however many requests found the session ended). `done` runs
// after a successful sign-in, to carry on with the queue.
export function askToSignIn(done) {
  state.done = done;
  if (state.open) return;
  state.open = true;
  wire();
  show("password");
  $("signin").hidden = false;
  tell("You have been signed out. Nothing is lost: sign in again here and what is waiting will be sent.");
}

function wire() {
  if (wire.done) return;
  wire.done = true;
  $("signin-form").addEventListener("submit", (e) => { e.preventDefault(); attempt(); });
  $("signin-code-form").addEventListener("submit", (e) => { e.preventDefault(); attempt(); });
  $("signin-passkey").addEventListener("click", () => attempt("passkey"));
  // What was typed while offline goes as soon as the signal is back.
  addEventListener("online", () => state.open && state.pending && attempt(state.pending));
}

function show(step) {
  state.step = step;
  $("signin-form").hidden = step !== "password";
  $("signin-code-form").hidden = step !== "code";
  $("signin-passkey").hidden = step !== "password" || !passkeysWork();
  (step === "code" ? $("signin-code") : $("signin-email").value ? $("signin-password") : $("signin-email")).focus?.();
}

function tell(text, error = false) {
  const node = $("signin-message");
  node.textContent = text;
  node.className = error ? "error" : "hint";
}

async function csrf() {
  const reply = await fetchSend({ method: "GET", url: "/api/signin/token" });
  return reply.status === 200 ? reply.data.csrf_token : null;
}

function postJson(url, token, body) {
  return fetchSend({ method: "POST", url, body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token } });
}

async function attempt(how = state.step) {
  if (state.busy) return;
  state.busy = true;
  try {
    const token = navigator.onLine ? await csrf() : null;
    if (!token) { state.pending = how; tell(NO_SIGNAL); return; }
    state.pending = null;
    const reply = how === "passkey" ? await passkeyReply(token)
      : how === "code" ? await postJson("/api/signin/code", token, { code: $("signin-code").value.replace(/\s/g, "") })
      : await postJson("/api/signin/password", token, { email: $("signin-email").value.trim(), password: $("signin-password").value });
    await settle(how, reply);
  } finally {
    state.busy = false;
  }
}

async function passkeyReply(token) {
  const result = await signInWithPasskey(token);
  return result.status === -1 ? { status: -1, data: { error: { message: result.message } } }
    : { status: result.status, data: result.ok ? { signed_in: true } : { error: { message: result.message } } };
}

async function settle(how, reply) {
  if (reply.status === 0) { state.pending = how; tell(NO_SIGNAL); return; }
  if (reply.status === 200 && reply.data?.code_needed) {
    $("signin-password").value = "";
    show("code");
    tell("Now type the 6-digit code from your authenticator app.");
    return;
  }
  if (reply.status !== 200 || !reply.data?.signed_in) {
    if (reply.data?.error?.code === "no_password_step") show("password");
    tell(message(reply.data, "That did not work. Check what you typed and try again."), true);
    return;
  }
  const check = await fetchSend({ method: "GET", url: "/api/session" });
  if (check.status === 401) {
    tell("You are signed in, but your school requires two-step sign-in first: open My sign-in from the menu to set it up.", true);
    return;
  }
  for (const id of ["signin-password", "signin-code"]) $(id).value = "";
  state.open = false;
  $("signin").hidden = true;
  tell("");
  state.done?.();
}
