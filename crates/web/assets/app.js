// Shtab's own small script: "/" puts the cursor in the header's search (unless one is
// typing somewhere already); Escape empties and leaves it.
(function () {
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  document.addEventListener("keydown", function (e) {
    var box = document.getElementById("global-search");
    if (!box) return;
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(document.activeElement)) {
      e.preventDefault();
      box.focus();
      box.select();
    } else if (e.key === "Escape" && document.activeElement === box) {
      box.value = "";
      var results = document.getElementById("global-search-results");
      if (results) results.innerHTML = "";
      box.blur();
    }
  });
})();
