/* Presenter mode: the share link, the body class of presenter mode, arrow keys and the filter toggle. */
(function () {
  "use strict";

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ppx: Object.assign({}, (window.dash_clientside || {}).ppx, {
      /* The absolute URL of the current view (filters, view options, presenter mode, deck, slide). */
      shareLink: function (pathname, search) {
        var params = new URLSearchParams(search || "");
        document.body.classList.toggle("ppx-present", params.get("present") === "1" && pathname === "/present");
        return window.location.origin + (pathname || "/") + (search || "");
      },
    }),
  });

  var NOT_TYPING = ["checkbox", "radio", "button", "submit", "range"];

  /* True when the key goes to a text field (typing a number must not change the slide). */
  function typing(target) {
    var tag = (target && target.tagName) || "";
    if (tag === "INPUT") {
      return NOT_TYPING.indexOf((target.type || "").toLowerCase()) < 0;
    }
    return tag === "TEXTAREA" || tag === "SELECT" || Boolean(target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var id = null;
    if (event.key === "ArrowRight" || event.key === "PageDown") {
      id = "present-next";
    } else if (event.key === "ArrowLeft" || event.key === "PageUp") {
      id = "present-prev";
    }
    var button = id && document.getElementById(id);
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest && event.target.closest("#present-filters");
    if (target) {
      document.body.classList.toggle("ppx-show-filters");
    }
  });
})();
