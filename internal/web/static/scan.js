// The camera scan of a merchant-presented code: with a camera and jsQR
// (static/vendor/jsqr), it shows the camera section; "start" opens the
// back camera (getUserMedia; the scan page alone allows the camera), reads
// a few frames a second with jsQR and, once a code is read, puts its text
// into the page's paste form and submits it. The server reads the code as
// if it had been pasted. Without this script the page's paste and photo
// forms do the same.
(function () {
  "use strict";
  var section = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  var start = document.getElementById("camera-start");
  var form = document.getElementById("paste");
  if (!section || !form || typeof window.jsQR !== "function" ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var scanEveryMS = 150; // a few frames a second are plenty, and spare the battery
  var scanSideMax = 640; // frames are read at most this wide
  var canvas = document.createElement("canvas");
  var g = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  section.hidden = false;

  function say(attr) { status.textContent = status.getAttribute(attr) || ""; }
  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
  }
  function scan() {
    if (!stream) { return; }
    if (video.readyState >= 2 && video.videoWidth > 0) {
      var k = Math.min(1, scanSideMax / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * k);
      canvas.height = Math.round(video.videoHeight * k);
      g.drawImage(video, 0, 0, canvas.width, canvas.height);
      var img = g.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        stop();
        say("data-found");
        form.elements.payload.value = code.data;
        form.submit();
        return;
      }
    }
    window.setTimeout(scan, scanEveryMS);
  }
  start.addEventListener("click", function () {
    start.disabled = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      return video.play();
    }).then(function () {
      say("data-scanning");
      scan();
    }).catch(function () {
      stop();
      start.disabled = false;
      say("data-denied");
    });
  });
  window.addEventListener("pagehide", stop);
})();
