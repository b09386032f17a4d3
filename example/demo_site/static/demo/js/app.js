// The demo site's script: toggles the cards open and closed.
document.addEventListener("DOMContentLoaded", function () {
  var cards = document.querySelectorAll(".card");
  cards.forEach(function (card) {
    var heading = card.querySelector("h2");
    if (!heading) {
      return;
    }
    heading.addEventListener("click", function () {
      card.classList.toggle("card--open");
      var open = card.classList.contains("card--open");
      heading.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
});
