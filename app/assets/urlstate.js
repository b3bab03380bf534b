/* The URL holds the view (app/urlstate.py). These clientside callbacks write a page's view options into it and
   keep the presenter switch and the URL together without a server round trip: a pending server callback that
   writes the URL holds back every callback that reads it, so each of these used to add a round trip to a click.
   The query is encoded as Python's urllib.parse.urlencode(pairs, safe=",-") does, so both sides write the same
   text for the same view. */
(function () {
  "use strict";

  var PRESENT_PATH = "/present";
  var LEAVE_PATH = "/survival";

  function encode(text) {
    return encodeURIComponent(text)
      .replace(/[!'()*]/g, function (c) {
        return "%" + c.charCodeAt(0).toString(16).toUpperCase();
      })
      .replace(/%2C/g, ",")
      .replace(/%20/g, "+");
  }

  /* The query string as ordered [key, value] pairs (the last of a repeated key wins, as in urlstate.parse). */
  function parse(search) {
    var pairs = [];
    new URLSearchParams((search || "").replace(/^\?/, "")).forEach(function (value, key) {
      if (value === "") {
        return;
      }
      var at = pairs.findIndex(function (p) { return p[0] === key; });
      if (at >= 0) {
        pairs[at][1] = value;
      } else {
        pairs.push([key, value]);
      }
    });
    return pairs;
  }

  /* urlstate.with_view: set (or, with null or "", remove) keys, keeping the others and their order. */
  function withView(search, updates) {
    var pairs = parse(search);
    Object.keys(updates).forEach(function (key) {
      var value = updates[key];
      var at = pairs.findIndex(function (p) { return p[0] === key; });
      if (value === null || value === undefined || value === "") {
        if (at >= 0) {
          pairs.splice(at, 1);
        }
      } else if (at >= 0) {
        pairs[at][1] = String(value);
      } else {
        pairs.push([key, String(value)]);
      }
    });
    var text = pairs.map(function (p) { return encode(p[0]) + "=" + encode(p[1]); }).join("&");
    return text ? "?" + text : "";
  }

  /* urlstate.view_change: the new query, or no_update when the view is already in the URL. */
  function viewChange(search, updates) {
    var next = withView(search, updates);
    return next === (search || "") ? window.dash_clientside.no_update : next;
  }

  /* survival.parse_landmark: months in [0, 1000), else 6; written as Python's '{:g}' would for these values. */
  function landmarkText(value) {
    if (value === null || value === undefined || value === "") {
      return null;
    }
    var number = Number(value);
    if (!isFinite(number) || number < 0 || number >= 1000) {
      number = 6;
    }
    return String(number);
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ppxUrl: {
      withView: withView,
      /* The Survival page's options into the URL (a copied link reopens this view). An absent key means the
         default (survival.DEFAULT_VIEW), so a key is written only once it is in the URL or departs from it: the
         controls reporting their first values change nothing. No option shown is "show=none". */
      survivalView: function (endpoint, group, test, conf, shown, landmark, search, defaults) {
        var view = {
          endpoint: endpoint,
          group: group,
          test: test,
          conf: conf,
          show: shown && shown.length ? shown.join(",") : "none",
          landmark: landmarkText(landmark),
        };
        var present = new URLSearchParams((search || "").replace(/^\?/, ""));
        var updates = {};
        Object.keys(view).forEach(function (key) {
          var value = view[key] === null ? (defaults || {})[key] : view[key];
          if (present.get(key) || value !== (defaults || {})[key]) {
            updates[key] = value;
          }
        });
        return viewChange(search, updates);
      },
      /* The navbar switch and present=1 follow each other; switching it moves to or from /present (through the
         pages router's location, the one that renders a page). Outputs: router path, router query, the URL's
         query (no page render), the switch. */
      presenterSwitch: function (on, search, pathname) {
        var noUpdate = window.dash_clientside.no_update;
        var triggered = (window.dash_clientside.callback_context.triggered || []).map(function (t) {
          return t.prop_id;
        });
        var inUrl = new URLSearchParams((search || "").replace(/^\?/, "")).get("present") === "1";
        if (triggered.indexOf("present-switch.value") < 0) {
          if (pathname === PRESENT_PATH && !inUrl) {
            return [noUpdate, noUpdate, withView(search, { present: "1" }), true];
          }
          return [noUpdate, noUpdate, noUpdate, Boolean(on) !== inUrl ? inUrl : noUpdate];
        }
        if (Boolean(on) === inUrl && (pathname === PRESENT_PATH) === Boolean(on)) {
          return [noUpdate, noUpdate, noUpdate, noUpdate];
        }
        if (on) {
          return [PRESENT_PATH, withView(search, { present: "1" }), noUpdate, noUpdate];
        }
        var query = withView(search, { present: null, slide: null });
        if (pathname === PRESENT_PATH) {
          return [LEAVE_PATH, query, noUpdate, noUpdate];
        }
        return [noUpdate, noUpdate, query, noUpdate];
      },
      /* A section's key: the URL while the section is open, else no update. A callback that takes the key as its
         input (and the URL as state) sends no request for a filter click while its section is closed. */
      gate: function (search, open) {
        return open ? search || "" : window.dash_clientside.no_update;
      },
      /* The target-trial panel's key outside the Survival page (there the immortal-time guard's callback sets it,
         only while the guard shows the panel). */
      emulationKey: function (search, pathname) {
        return /\/survival\/?$/.test(pathname || "") ? window.dash_clientside.no_update : search || "";
      },
      /* A new endpoint, grouping or filter makes an earlier bootstrap stale: clear it; the panel is shown when
         the view is grouped. */
      resetBootstrap: function (search) {
        var group = new URLSearchParams((search || "").replace(/^\?/, "")).get("group");
        return [{ display: group === "none" ? "none" : "block" }, null];
      },
      /* The Cox, Response and Cohort pages' options into the URL, as their former server callbacks wrote them. */
      coxView: function (endpoint, covariates, merge, search) {
        return viewChange(search, {
          endpoint: endpoint,
          covariates: (covariates || []).join(",") || "none",
          merge: merge ? "1" : null,
        });
      },
      responseView: function (group, search) {
        return viewChange(search, { resp_group: group });
      },
      cohortView: function (group, search) {
        return viewChange(search, { t1_group: group });
      },
    },
  });
})();
