// Progressive enhancement only: every page and action works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Copy buttons next to read-only fields (the tracking link).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) return;
      field.select();
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
      } else {
        done();
      }
    });
  });

  // A confirmation before irreversible actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Selecting the text of read-only fields on focus makes them easy to copy by keyboard.
  document.querySelectorAll("input[readonly]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
