// Tearline portal: send the session's CSRF token with every htmx request.
document.addEventListener("htmx:configRequest", function (e) {
  var m = document.querySelector('meta[name="csrf-token"]');
  if (m) { e.detail.headers["X-CSRF-Token"] = m.getAttribute("content"); }
});
