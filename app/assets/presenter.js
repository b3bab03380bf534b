/* Presenter mode: the share link, the body class of presenter mode, arrow keys and the filter toggle. */
(function () {
  "use strict";

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ppx: Object.assign({}, (window.dash_clientside || {}).ppx, {
      /* The absolute URL of the current view (filters, view options, presenter mode, deck, slide). */
      shareLink: function (pathname, search) {
        var params = new URLSearchParams(search || "");
        document.body.classList.toggle("ppx-present", pathname === "/present");
        return window.location.origin + (pathname || "/") + (search || "");
      },
      /* The room left for the presenter's figure: the slot's width, and the viewport's height below the slot's
         top minus the footer line. Re-measured after each render (the title may take another line); unchanged
         room returns no_update, so the figure is not drawn twice for nothing. */
      presentRoom: function (_title, _table, _footer, current) {
        var slot = document.getElementById("present-figure-slot");
        if (!slot) {
          return window.dash_clientside.no_update;
        }
        var footer = document.getElementById("present-footer");
        var footerPx = footer ? Math.max(footer.offsetHeight, 22) + 10 : 32;
        var top = slot.getBoundingClientRect().top + window.scrollY;
        var room = [Math.floor(slot.clientWidth), Math.floor(window.innerHeight - top - footerPx)];
        if (current && current[0] === room[0] && Math.abs(current[1] - room[1]) < 4) {
          /* same room: still a new slide to draw (the figure callback listens to this store only) */
          return [room[0], room[1], Date.now()];
        }
        return [room[0], room[1], Date.now()];
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
      return;
    }
    /* A click outside the open filter overlay closes it. */
    var panel = event.target && event.target.closest && event.target.closest(".ppx-filter-column");
    if (!panel && document.body.classList.contains("ppx-show-filters")) {
      document.body.classList.remove("ppx-show-filters");
    }
  });
})();
