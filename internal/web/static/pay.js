// The payment code page's countdown: it shows the seconds left and,
// shortly before the code expires, asks for the next one by submitting
// the page's own "new code" form (which carries the CSRF token). It counts
// from the seconds the server said were left when it made the page, on
// the page's own monotonic clock, so a wrong clock on the phone changes
// nothing. The page works without this script: the expiry time is printed
// and the button is there.
(function () {
  "use strict";
  var refreshBeforeMS = 5000; // ask for the next code 5 s before expiry
  var el = document.getElementById("countdown");
  var form = document.getElementById("refresh");
  if (!el || !form) { return; }
  var leftAtLoadMS = parseInt(el.getAttribute("data-seconds"), 10) * 1000;
  var loadedAt = performance.now();
  var leftText = el.getAttribute("data-left") || "%d";
  var expiredText = el.getAttribute("data-expired") || "";
  var submitted = false;
  function tick() {
    var leftMS = leftAtLoadMS - (performance.now() - loadedAt);
    if (leftMS <= 0) {
      el.textContent = expiredText;
    } else {
      el.textContent = leftText.replace("%d", String(Math.ceil(leftMS / 1000)));
    }
    if (leftMS <= refreshBeforeMS && !submitted && document.visibilityState !== "hidden") {
      submitted = true;
      form.submit();
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
