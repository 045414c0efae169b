// Add to cart without leaving the page: the form is posted as usual, the header's count follows
// and a message says what happened, with a link to the cart. Without this script the form still
// works and leads to the cart page.
"use strict";

(function () {
  const count = document.querySelector("[data-testid=cart-count]");

  function say(form, message, failed) {
    const status = form.parentElement.querySelector("[data-add-status]");
    if (!status) return;
    status.textContent = "";
    status.classList.toggle("add-status--error", Boolean(failed));
    status.append(message);
    if (!failed) {
      const link = document.createElement("a");
      link.href = status.dataset.cartUrl;
      link.textContent = "View cart";
      link.dataset.testid = "view-cart";
      status.append(" ", link);
    }
  }

  async function add(event) {
    const form = event.target.closest("form[data-add-to-cart]");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        body: new FormData(form),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        count.textContent = String(data.count);
        count.setAttribute("aria-label", `${data.count} ${data.count === 1 ? "copy" : "copies"}`);
        say(form, data.message, false);
      } else {
        say(form, (data.error && data.error.message) || "We could not add that book. Please try again.", true);
      }
    } catch (networkError) {
      form.submit(); // the page way: the server answers with the cart
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("submit", add);
})();
