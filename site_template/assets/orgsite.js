/* orgsite: local times, and what is new since this reader's last visit. Nothing leaves the browser:
   the last visit is kept in localStorage, per site, and read by nothing but this script. */
(function () {
  "use strict";
  var now = Date.now();
  var feed = document.querySelector('link[rel="alternate"][type="application/atom+xml"]');
  var key = "orgsite:" + (feed ? new URL(".", feed.href).pathname : "/");

  function relative(ms) {
    var s = Math.round((now - ms) / 1000), units = [[86400, "day"], [3600, "hour"], [60, "minute"]];
    if (s < 60) return "just now";
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(s / units[i][0]);
      if (n >= 1) return n + " " + units[i][1] + (n === 1 ? "" : "s") + " ago";
    }
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var ms = Date.parse(el.getAttribute("datetime"));
    if (isNaN(ms)) return;
    var when = new Date(ms);
    el.title = when.toLocaleString();
    if (el.hasAttribute("data-day")) el.textContent = when.toLocaleDateString();
    else el.textContent = now - ms < 7 * 86400000 && now >= ms ? relative(ms) : when.toLocaleString();
  });

  var since;
  try {
    since = Number(sessionStorage.getItem(key + ":since"));
    if (!since) {  // a new visit: what is newer than the last page seen before it is new
      since = Number(localStorage.getItem(key + ":seen")) || now;
      sessionStorage.setItem(key + ":since", String(since));
    }
    localStorage.setItem(key + ":seen", String(now));
  } catch (e) {
    return;  // storage switched off: nothing is marked
  }
  function mark(selector, attribute) {
    var fresh = [];
    document.querySelectorAll(selector).forEach(function (el) {
      if (Number(el.getAttribute(attribute)) * 1000 > since) {
        fresh.push(el);
        var badge = el.querySelector(".orgsite-new");
        if (badge) badge.hidden = false;
      }
    });
    return fresh;
  }
  var threads = mark(".orgsite-thread-row[data-activity]", "data-activity");
  var count = document.querySelector(".orgsite-newcount");
  if (count && threads.length) {
    count.textContent = threads.length + (threads.length === 1 ? " conversation has" : " conversations have") +
      " something new since your last visit";
    count.hidden = false;
  }
  var replies = mark(".orgsite-reply[data-created]", "data-created");
  var jump = document.querySelector(".orgsite-jump");
  if (jump && replies.length) {
    jump.querySelector("a").href = "#" + replies[0].id;
    jump.querySelector("a").textContent = "Jump to the first new reply (" + replies.length + " new)";
    jump.hidden = false;
  }
})();
