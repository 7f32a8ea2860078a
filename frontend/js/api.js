// Small JSON-over-HTTP helper. Errors come back as ApiError with the server's plain-words message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function fallbackMessage(status) {
  if (status === 401) return "Your session has ended. Ask the chair for a new link.";
  if (status === 403) return "You are not allowed to do that in this meeting.";
  if (status === 404) return "That could not be found.";
  if (status === 422 || status === 400) return "Please check what you typed and try again.";
  if (status === 429) return "Too many requests at once. Please wait a moment and try again.";
  return "Something went wrong on the server. Please try again.";
}

export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", cache: "no-store", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check the connection and try again.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error : null;
    throw new ApiError(
      response.status,
      (error && error.code) || `http_${response.status}`,
      (error && error.message) || fallbackMessage(response.status),
    );
  }
  return data;
}

export const meetingsApi = {
  create: (title, chairName, kind = "initial_conference") =>
    api("POST", "/api/meetings", { title, chair_name: chairName, kind }),
  join: (token) => api("POST", "/api/join", { token }),
  me: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/me`),
  leave: (id) => api("POST", `/api/meetings/${encodeURIComponent(id)}/leave`),
  participants: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/participants`),
  addParticipant: (id, person) => api("POST", `/api/meetings/${encodeURIComponent(id)}/participants`, person),
  newInvite: (id, pid) =>
    api("POST", `/api/meetings/${encodeURIComponent(id)}/participants/${encodeURIComponent(pid)}/invite`),
  revokeInvite: (id, pid) =>
    api("DELETE", `/api/meetings/${encodeURIComponent(id)}/participants/${encodeURIComponent(pid)}/invite`),
  // joining the room by code (app/api/lobby.py)
  roomCode: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/room-code`),
  makeRoomCode: (id) => api("POST", `/api/meetings/${encodeURIComponent(id)}/room-code`),
  withdrawRoomCode: (id) => api("DELETE", `/api/meetings/${encodeURIComponent(id)}/room-code`),
  lobby: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/lobby`),
  admit: (id, entryId, person) =>
    api("POST", `/api/meetings/${encodeURIComponent(id)}/lobby/${encodeURIComponent(entryId)}/admit`, person),
  turnAway: (id, entryId) =>
    api("DELETE", `/api/meetings/${encodeURIComponent(id)}/lobby/${encodeURIComponent(entryId)}`),
  // the record (docs/record.md)
  finaliseCheck: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/finalise-check`),
  verify: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/verify`),
  retention: (id) => api("GET", `/api/meetings/${encodeURIComponent(id)}/retention`),
  placeHold: (id) => api("PUT", `/api/meetings/${encodeURIComponent(id)}/hold`),
  liftHold: (id) => api("DELETE", `/api/meetings/${encodeURIComponent(id)}/hold`),
};

/** The waiting device's side of the lobby (frontend/js/room-page.js). */
export const lobbyApi = {
  wait: (code) => api("POST", "/api/lobby", { code }),
  state: () => api("GET", "/api/lobby"),
  stop: () => api("DELETE", "/api/lobby"),
};

/** The room code's QR code (SVG, sized by CSS); the code in the query only makes a new code a new picture. */
/** The QR code of the room code `roomCode` ({code, expires_at}). Its expiry, never the code, tells one code's
 * picture from the next's: a room code stays out of every address the server or a proxy sees. */
export function roomCodeQrUrl(id, roomCode) {
  return `/api/meetings/${encodeURIComponent(id)}/room-code.svg?until=${encodeURIComponent(roomCode.expires_at)}`;
}

/** Where each export of the record is downloaded from (the server sends them as attachments, never cached). */
export function recordUrl(id, file, copy = null) {
  const base = `/api/meetings/${encodeURIComponent(id)}/${file}`;
  return copy ? `${base}?copy=${encodeURIComponent(copy)}` : base;
}
