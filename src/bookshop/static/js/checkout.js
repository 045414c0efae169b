// Checkout: create the order's PaymentIntent, mount Stripe's Address and Payment Elements, let the
// server price delivery, confirm the payment. Uses only the public Stripe.js API; the browser sends
// ids and choices, never amounts.
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

  const summaryDelivery = document.querySelector("[data-summary-delivery]");
  const orderTotal = document.querySelector("[data-order-total]");
  const optionsBox = form.querySelector("[data-shipping-options]");
  const noDelivery = form.querySelector("[data-no-delivery]");
  const countries = (form.dataset.countries || "").split(",").filter(Boolean);

  let stripe = null;
  let elements = null;
  let addressElement = null;
  let deliveryUrl = null;
  let emailUrl = null;
  let checkUrl = null;
  let savedEmail = null; // the address the order has now
  let country = null;
  let busy = false;
  let pending = Promise.resolve(true); // delivery updates, one at a time, in order

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

  function optionInputs() {
    return Array.from(optionsBox.querySelectorAll("input[name=shipping_option]"));
  }

  function chosenOption() {
    const checked = optionsBox.querySelector("input[name=shipping_option]:checked");
    return checked ? checked.value : null;
  }

  // Offer the options that deliver to the country; keep the customer's pick when it still does.
  function showOptionsFor(code) {
    let firstShown = null;
    for (const input of optionInputs()) {
      const label = input.closest("[data-countries]");
      const serves = label.dataset.countries.split(",").includes(code);
      label.hidden = !serves;
      input.disabled = !serves;
      if (!serves && input.checked) input.checked = false;
      if (serves && !firstShown) firstShown = input;
    }
    noDelivery.hidden = Boolean(firstShown);
    if (!chosenOption() && firstShown) firstShown.checked = true;
  }

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken,
      },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, data };
  }

  function showTotals(data) {
    summaryDelivery.querySelector("[data-shipping-name]").textContent = `(${data.shipping.name})`;
    summaryDelivery.querySelector("[data-shipping-amount]").textContent = data.shipping.amountText;
    summaryDelivery.hidden = false;
    orderTotal.textContent = data.totalText;
    payButton.dataset.label = `Pay ${data.totalText}`;
    if (!busy) payButton.textContent = payButton.dataset.label;
  }

  // The server prices the choice and updates the PaymentIntent; the Payment Element then
  // re-reads it. Returns whether the server accepted the choice.
  function chooseDelivery(body) {
    pending = pending.then(async () => {
      let result;
      try {
        result = await postJson(deliveryUrl, body);
      } catch (networkError) {
        showError("We could not reach the shop. Check your connection and try again.");
        return false;
      }
      if (!result.ok) {
        showError((result.data.error && result.data.error.message) || GENERIC_ERROR);
        return false;
      }
      clearError();
      showTotals(result.data);
      await elements.fetchUpdates();
      return true;
    });
    return pending;
  }

  function onAddressChange(event) {
    const code = event.value && event.value.address && event.value.address.country;
    if (!code || code === country) return;
    country = code;
    showOptionsFor(code);
    const option = chosenOption();
    if (option) chooseDelivery({ option, country: code });
  }

  function onOptionChange() {
    const option = chosenOption();
    if (option && country) chooseDelivery({ option, country });
  }

  function savedAddress() {
    try {
      return form.dataset.savedAddress ? JSON.parse(form.dataset.savedAddress) : null;
    } catch (malformed) {
      return null;
    }
  }

  function mountDelivery() {
    const saved = savedAddress();
    country = (saved && saved.address.country) || form.dataset.defaultCountry;
    addressElement = elements.create("address", {
      mode: "shipping",
      allowedCountries: countries,
      fields: { phone: "always" },
      validation: { phone: { required: "always" } },
      defaultValues: saved || { address: { country } },
    });
    addressElement.on("change", onAddressChange);
    addressElement.mount("#address-element");
    optionsBox.addEventListener("change", onOptionChange);
    showOptionsFor(country);
    const option = chosenOption();
    if (option) chooseDelivery({ option, country });
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
    deliveryUrl = body.deliveryUrl;
    emailUrl = body.emailUrl;
    checkUrl = body.checkUrl;
    savedEmail = body.email || email.value.trim();
    elements = stripe.elements({
      clientSecret: body.clientSecret,
      appearance: {
        theme: "stripe",
        variables: { colorPrimary: "#1f3a5f", borderRadius: "6px" },
      },
    });
    mountDelivery();
    elements.create("payment").mount("#payment-element");
    continueButton.hidden = true;
    setBusy(continueButton, false);
    paymentStep.hidden = false;
    payButton.disabled = false;
  }

  // A corrected email goes to the order (and Stripe's receipt) before any money moves.
  async function saveEmail() {
    const wanted = email.value.trim();
    if (!emailUrl || wanted === savedEmail) return true;
    if (!email.checkValidity()) {
      email.setAttribute("aria-invalid", "true");
      showError("Please enter a valid email address.");
      email.focus();
      return false;
    }
    let result;
    try {
      result = await postJson(emailUrl, { email: wanted });
    } catch (networkError) {
      showError("We could not reach the shop. Check your connection and try again.");
      return false;
    }
    if (!result.ok) {
      const error = result.data.error || {};
      if (error.field === "email") {
        email.setAttribute("aria-invalid", "true");
        email.focus();
      }
      showError(error.message || GENERIC_ERROR);
      return false;
    }
    savedEmail = result.data.email;
    return true;
  }

  // The shop reads the attempt back from Stripe, so the order's page shows it.
  function reportAttempt() {
    if (checkUrl) postJson(checkUrl, {}).catch(() => {});
  }

  async function pay() {
    setBusy(payButton, true, "Paying…");
    let redirecting = false;
    try {
      if (!(await saveEmail())) return;
      const submitted = await elements.submit();
      if (submitted.error) {
        showError(customerMessage(submitted.error));
        return;
      }
      // The address the books go to, checked and stored by the server before any money moves.
      const address = await addressElement.getValue();
      const option = chosenOption();
      if (!address.complete || !option) {
        showError(option ? "Please complete your delivery address." : "Please choose a delivery option.");
        return;
      }
      if (!(await chooseDelivery({ option, address: address.value }))) return;
      const result = await stripe.confirmPayment({
        elements,
        confirmParams: { return_url: form.dataset.returnUrl, receipt_email: savedEmail },
      });
      if (!result || !result.error) {
        redirecting = true; // the browser is on its way to return_url
        return;
      }
      showError(customerMessage(result.error));
      if (result.error.type === "card_error") reportAttempt();
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
