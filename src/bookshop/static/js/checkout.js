// Checkout: create the order's PaymentIntent, mount Stripe's Payment Element, confirm the payment.
// Uses only the public Stripe.js API; prices never leave the server.
"use strict";

(function () {
  const form = document.querySelector("[data-checkout-form]");
  if (!form) return;

  const errorBox = form.querySelector("[data-checkout-error]");
  const email = form.querySelector("input[name=email]");
  const continueButton = form.querySelector("[data-step=details]");
  const payButton = form.querySelector("[data-step=pay]");
  const paymentStep = form.querySelector("[data-payment-step]");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const GENERIC_ERROR = "Something went wrong with the payment. Please try again.";

  let stripe = null;
  let elements = null;
  let busy = false;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
    email.removeAttribute("aria-invalid");
  }

  function setBusy(button, isBusy, label) {
    busy = isBusy;
    button.disabled = isBusy;
    button.setAttribute("aria-busy", String(isBusy));
    if (label) button.textContent = label;
  }

  // Messages Stripe writes for customers (declines, incomplete fields); anything else is ours.
  function customerMessage(error) {
    if (error && (error.type === "card_error" || error.type === "validation_error") && error.message) {
      return error.message;
    }
    return GENERIC_ERROR;
  }

  // Only ids and quantities go to the server, plus the cart fingerprint the page was built from.
  function requestBody() {
    const body = { email: email.value };
    if (form.dataset.cartVersion) {
      body.cart_version = form.dataset.cartVersion;
      body.quantity = 1; // the one-book page buys one copy; the cart page's lines come from the cart
    }
    if (form.dataset.checkoutId) body.checkout_id = form.dataset.checkoutId;
    return body;
  }

  async function startPayment() {
    if (!email.checkValidity()) {
      email.setAttribute("aria-invalid", "true");
      showError("Please enter a valid email address.");
      email.focus();
      return;
    }
    setBusy(continueButton, true, "Preparing payment…");
    let response;
    let body = {};
    try {
      response = await fetch(form.dataset.intentUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken,
        },
        body: JSON.stringify(requestBody()),
      });
      body = await response.json().catch(() => ({}));
    } catch (networkError) {
      setBusy(continueButton, false, "Continue to payment");
      showError("We could not reach the shop. Check your connection and try again.");
      return;
    }
    if (!response.ok || !body.clientSecret) {
      setBusy(continueButton, false, "Continue to payment");
      const error = body.error || {};
      if (error.field === "email") {
        email.setAttribute("aria-invalid", "true");
        email.focus();
      }
      showError(error.message || GENERIC_ERROR);
      return;
    }

    if (body.orderUrl) {
      const saved = form.querySelector("[data-order-link]");
      saved.querySelector("a").href = body.orderUrl;
      saved.hidden = false;
    }
    elements = stripe.elements({
      clientSecret: body.clientSecret,
      appearance: {
        theme: "stripe",
        variables: { colorPrimary: "#1f3a5f", borderRadius: "6px" },
      },
    });
    elements.create("payment").mount("#payment-element");
    email.readOnly = true;
    continueButton.hidden = true;
    setBusy(continueButton, false);
    paymentStep.hidden = false;
    payButton.disabled = false;
  }

  async function pay() {
    setBusy(payButton, true, "Paying…");
    let redirecting = false;
    try {
      const submitted = await elements.submit();
      if (submitted.error) {
        showError(customerMessage(submitted.error));
        return;
      }
      const result = await stripe.confirmPayment({
        elements,
        confirmParams: { return_url: form.dataset.returnUrl, receipt_email: email.value },
      });
      if (!result || !result.error) {
        redirecting = true; // the browser is on its way to return_url
        return;
      }
      showError(customerMessage(result.error));
    } catch (unexpected) {
      showError(GENERIC_ERROR);
    } finally {
      if (!redirecting) setBusy(payButton, false, payButton.dataset.label);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    clearError();
    if (elements) {
      await pay();
    } else {
      await startPayment();
    }
  });

  if (typeof window.Stripe !== "function") {
    showError("Payments could not load. Check your connection and reload the page.");
    return;
  }
  stripe = window.Stripe(form.dataset.publishableKey);
  continueButton.disabled = false;
})();
