/* Progressive enhancement of the survey form: a question that applies only after
   certain answers stays hidden until one of them is chosen. Without JavaScript
   every question shows, led in by the condition, and the server ignores answers
   to questions whose condition was not met. No inline script: CSP-friendly. */
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form) {
    return;
  }
  var conditional = form.querySelectorAll("[data-show-when]");

  function update() {
    Array.prototype.forEach.call(conditional, function (question) {
      var wanted = question.getAttribute("data-show-values").split(" ");
      var name = question.getAttribute("data-show-when");
      var chosen = form.querySelectorAll("input[name='" + name + "']:checked");
      question.hidden = !Array.prototype.some.call(chosen, function (input) {
        return wanted.indexOf(input.value) !== -1;
      });
    });
  }

  form.addEventListener("change", update);
  update();
})();
