// Keyboard shortcuts for triage; the pages work the same without them.
// j/k: next/previous listing row, Enter: open it, c/f/u: confirm / false positive /
// needs follow-up (the selected row's buttons, or the listing page's), /: search box.
(function () {
  "use strict";

  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  }

  function select(index) {
    var all = rows();
    if (!all.length) {
      return;
    }
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row) { row.classList.remove("selected"); });
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
    selected = index;
  }

  function scope() {
    var all = rows();
    if (selected >= 0 && selected < all.length) {
      return all[selected];
    }
    return all.length ? null : document;
  }

  function press(key) {
    var where = scope();
    var button = where && where.querySelector('button[data-key="' + key + '"]');
    if (button) {
      button.click();
    }
  }

  function typing(target) {
    var name = target.tagName;
    return target.isContentEditable || name === "INPUT" || name === "TEXTAREA" ||
      name === "SELECT";
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "j") {
      select(selected + 1);
    } else if (key === "k") {
      select(selected - 1);
    } else if (key === "Enter" && selected >= 0) {
      var link = rows()[selected].querySelector("a[data-open]");
      if (link) {
        link.click();
      }
    } else if (key === "c" || key === "f" || key === "u") {
      press(key);
    } else if (key === "/") {
      var box = document.querySelector("input[data-search]");
      if (box) {
        box.focus();
        box.select();
      }
    } else {
      return;
    }
    event.preventDefault();
  });
})();
