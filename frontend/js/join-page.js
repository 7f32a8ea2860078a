// Invite links look like /join#<token>: the token sits in the fragment so it never reaches a server log.
// Read it, take it out of the address bar at once, exchange it for a session cookie, then open the board
// with location.replace so the link does not stay in this browser's history.

import { meetingsApi } from "./api.js";

const heading = document.querySelector("[data-testid=join-heading]");
const message = document.querySelector("[data-testid=join-message]");

function fail(title, text) {
  heading.textContent = title;
  message.textContent = text;
  document.body.dataset.state = "failed";
}

async function join() {
  let token = "";
  try {
    token = decodeURIComponent(location.hash.slice(1)).trim();
  } catch {
    token = "";
  }
  history.replaceState(null, "", location.pathname);
  if (!token) {
    fail("This link is not complete", "Ask the chair to send you your link again, and open it exactly as it was sent.");
    return;
  }
  try {
    const result = await meetingsApi.join(token);
    location.replace(`/meetings/${encodeURIComponent(result.meeting.id)}`);
  } catch (error) {
    if (error.status === 422) {
      fail("This link is not complete", "Ask the chair to send you your link again, and open it exactly as it was sent.");
    } else if (error.code === "meeting_read_only") {
      // A finalised meeting opens on no shared tablet or wall: the family's copy comes from the chair.
      fail("This meeting is finished", error.message || "Ask the chair for your copy of the record.");
    } else if (error.code === "invite_not_found" || error.status === 404) {
      fail(
        "This link no longer works",
        "It may have been replaced by a newer link, or withdrawn. Ask the chair for a new link.",
      );
    } else {
      fail("Could not join the meeting", error.message);
    }
  }
}

join();
