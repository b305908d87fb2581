// The deal board: HTML5 drag and drop of cards between stage columns. A drop posts the
// move; the server checks the stage rules. Only an accepted move moves the card; a
// refusal is shown in the message area and the card stays in its column.
(function () {
  "use strict";
  var board = document.getElementById("deal-board");
  if (!board || board.dataset.canWrite !== "1") return;
  var csrf = board.dataset.csrf;
  var message = document.getElementById("board-message");
  var dragged = null;

  function recount() {
    board.querySelectorAll(".deal-column").forEach(function (c) {
      c.querySelector(".deal-count").textContent = c.querySelectorAll(".deal-card").length;
    });
  }

  function say(text, ok) {
    message.textContent = text;
    message.className = "flash " + (ok ? "flash-ok" : "flash-error");
    message.hidden = false;
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    e.dataTransfer.setData("text/plain", card.dataset.dealId);
    e.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
  });
  board.addEventListener("dragover", function (e) {
    if (e.target.closest && e.target.closest(".deal-column")) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
    }
  });
  board.addEventListener("drop", function (e) {
    var column = e.target.closest && e.target.closest(".deal-column");
    if (!column) return;
    e.preventDefault();
    var id = e.dataTransfer.getData("text/plain") || (dragged && dragged.dataset.dealId);
    var card = board.querySelector('.deal-card[data-deal-id="' + id + '"]');
    if (!card || card.closest(".deal-column") === column) return;
    var body = new URLSearchParams();
    body.set("stage", column.dataset.stage);
    fetch("/deals/" + encodeURIComponent(id) + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrf
      },
      body: body.toString()
    })
      .then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, body: j }; });
      })
      .then(function (res) {
        if (res.ok) {
          column.querySelector(".deal-cards").appendChild(card);
          card.dataset.stage = column.dataset.stage;
          var empty = column.querySelector(".deal-empty");
          if (empty) empty.remove();
          recount();
          say(res.body.message, true);
        } else {
          say(res.body.message || "Error", false);
        }
      })
      .catch(function () {
        say(board.dataset.failed, false);
      });
  });
})();
