/*
 * Stripe.js v3 as served by the local Stripe emulator (GET /v3/).
 *
 * Same public API as https://js.stripe.com/v3/ for what a card checkout uses: Stripe(),
 * stripe.elements(), the Payment Element, elements.submit(), stripe.confirmPayment(),
 * stripe.retrievePaymentIntent() and stripe.handleNextAction(). The Payment Element renders
 * plain inputs inside the mount point (no iframe) so browser tests can drive it, and every
 * call goes to the emulator this file was loaded from. Plain ES2017, no build step.
 */
(function () {
  'use strict';

  /* ------------------------------------------------------------------ setup */

  // document.currentScript is only set while this file first runs, so read the origin now.
  const API_BASE = scriptOrigin();

  function scriptOrigin() {
    const script = document.currentScript || document.querySelector('script[src*="/v3"]');
    return new URL(script ? script.src : window.location.href, window.location.href).origin;
  }

  // Stripe.js throws IntegrationError for programming mistakes, never for customer input.
  class IntegrationError extends Error {
    constructor(message) {
      super(message);
      this.name = 'IntegrationError';
    }
  }

  function integration(ok, message) {
    if (!ok) throw new IntegrationError(message);
  }

  /* ------------------------------------------------------------------- HTTP */

  // Stripe's form encoding: nested objects as a[b][c]=v, arrays as a[0]=v; null means "omit".
  function encodeForm(params) {
    const pairs = [];
    (function walk(value, name) {
      if (value === undefined || value === null) return;
      if (Array.isArray(value)) {
        value.forEach((item, i) => walk(item, name + '[' + i + ']'));
      } else if (typeof value === 'object') {
        Object.keys(value).forEach((k) => walk(value[k], name ? name + '[' + k + ']' : k));
      } else {
        pairs.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(value)));
      }
    })(params, '');
    return pairs.join('&');
  }

  // Resolves {body} on success or {error} with a Stripe-shaped error; never rejects.
  // A form-encoded POST and a plain GET are "simple" CORS requests: no preflight, like Stripe.js.
  async function request(method, path, params) {
    const query = encodeForm(params);
    const init = {method: method, credentials: 'omit'};
    let url = API_BASE + path;
    if (method === 'GET') {
      url += '?' + query;
    } else {
      init.body = query;
      init.headers = {'Content-Type': 'application/x-www-form-urlencoded'};
    }
    let response;
    let body = null;
    try {
      response = await fetch(url, init);
      body = await response.json();
    } catch (err) {
      if (!response) {
        return {error: {type: 'api_connection_error',
          message: 'An error occurred with our connection to Stripe.'}};
      }
    }
    if (response.ok && body) return {body: body};
    if (body && body.error) return {error: body.error};
    return {error: {type: 'api_error',
      message: 'Unexpected response from Stripe (HTTP ' + response.status + ').'}};
  }

  // The PaymentIntent id is the client secret's part before "_secret_".
  function intentIdFrom(clientSecret, caller) {
    const at = typeof clientSecret === 'string' ? clientSecret.indexOf('_secret_') : -1;
    integration(at > 3 && clientSecret.slice(0, 3) === 'pi_', 'Invalid value for ' + caller +
      ': clientSecret should be a client secret of the form ${id}_secret_${secret}. You ' +
      'specified: ' + clientSecret + '.');
    return clientSecret.slice(0, at);
  }

  /* ------------------------------------------------------------ card rules */

  // Brands by number prefix, with Stripe's brand ids; gaps are where the number shows a space.
  const BRANDS = [
    {id: 'amex', name: 'American Express', prefix: /^3[47]/, length: 15, gaps: [4, 10], cvc: 4},
    {id: 'visa', name: 'Visa', prefix: /^4/, length: 16, gaps: [4, 8, 12], cvc: 3},
    {id: 'mastercard', name: 'Mastercard', prefix: /^(5[1-5]|2[2-7])/, length: 16,
      gaps: [4, 8, 12], cvc: 3},
    {id: 'discover', name: 'Discover', prefix: /^(6011|65|64[4-9])/, length: 16,
      gaps: [4, 8, 12], cvc: 3},
  ];
  const UNKNOWN_BRAND = {id: 'unknown', name: '', prefix: /^/, length: 16, gaps: [4, 8, 12],
    cvc: 3};

  // Stripe's own wording, keyed by Stripe's validation error codes.
  const MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration month is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: 'Your postal code is incomplete.',
  };

  function digitsOf(text) {
    return text.replace(/\D/g, '');
  }

  function brandOf(digits) {
    return BRANDS.find((brand) => brand.prefix.test(digits)) || UNKNOWN_BRAND;
  }

  function luhnValid(digits) {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return sum % 10 === 0;
  }

  // Each check returns a validation error code, or null when the field is valid.
  function checkNumber(digits) {
    if (digits.length < brandOf(digits).length) return 'incomplete_number';
    return luhnValid(digits) ? null : 'invalid_number';
  }

  function checkExpiry(digits, now) {
    const month = Number(digits.slice(0, 2));
    if (digits.length >= 2 && (month < 1 || month > 12)) return 'invalid_expiry_month';
    if (digits.length < 4) return 'incomplete_expiry';
    const year = 2000 + Number(digits.slice(2, 4));
    if (year < now.getFullYear()) return 'invalid_expiry_year_past';
    const thisMonth = now.getMonth() + 1;
    if (year === now.getFullYear() && month < thisMonth) return 'invalid_expiry_month_past';
    if (year > now.getFullYear() + 50) return 'invalid_expiry_year';
    return null;
  }

  function checkCvc(digits, brand) {
    return digits.length < brand.cvc ? 'incomplete_cvc' : null;
  }

  function checkPostalCode(text) {
    return text.trim() === '' ? 'incomplete_zip' : null;
  }

  function formatNumber(digits, brand) {
    let out = '';
    for (let i = 0; i < digits.length; i++) {
      if (brand.gaps.indexOf(i) !== -1) out += ' ';
      out += digits[i];
    }
    return out;
  }

  // "MM / YY". A first digit above 1 (or "1/") can only be a month, so it gets its zero now;
  // the separator is only added while typing forward, so backspace can delete through it.
  function formatExpiry(raw, inserting) {
    const pasted = raw.match(/^\s*(\d{1,2})\s*\/\s*\d{2}(\d{2})\s*$/); // "MM/YYYY"
    let digits = pasted ? pasted[1].padStart(2, '0') + pasted[2] : digitsOf(raw);
    if (inserting && (/^[2-9]$/.test(digits) || /^\d\s*\//.test(raw))) digits = '0' + digits;
    digits = digits.slice(0, 4);
    if (digits.length > 2) return digits.slice(0, 2) + ' / ' + digits.slice(2);
    return digits.length === 2 && inserting ? digits + ' / ' : digits;
  }

  // Rewrites an input's value, keeping the caret after the same number of digits.
  function setFormatted(input, text) {
    if (input.value === text) return;
    const caret = input.selectionStart === null ? input.value.length : input.selectionStart;
    const atEnd = caret >= input.value.length;
    const digitsBefore = digitsOf(input.value.slice(0, caret)).length;
    input.value = text;
    if (atEnd || document.activeElement !== input) return;
    let pos = 0;
    for (let seen = 0; pos < text.length && seen < digitsBefore; pos++) {
      if (/\d/.test(text[pos])) seen++;
    }
    input.setSelectionRange(pos, pos);
  }

  /* ----------------------------------------------------------------- events */

  // on / once / off as on Stripe's elements; handlers run in order, each isolated.
  class Emitter {
    constructor() {
      this._handlers = {};
    }

    on(type, handler) {
      return this._add(type, handler, false);
    }

    once(type, handler) {
      return this._add(type, handler, true);
    }

    off(type, handler) {
      const kept = (this._handlers[type] || []).filter((h) => handler && h.handler !== handler);
      this._handlers[type] = kept;
      return this;
    }

    _add(type, handler, once) {
      (this._handlers[type] = this._handlers[type] || []).push({handler: handler, once: once});
      return this;
    }

    _emit(type, payload) {
      const listeners = this._handlers[type] || [];
      this._handlers[type] = listeners.filter((h) => !h.once);
      listeners.forEach((h) => {
        // A merchant handler that throws must not break the element: report it, carry on.
        try {
          h.handler(payload);
        } catch (err) {
          setTimeout(() => { throw err; });
        }
      });
    }
  }

  /* ----------------------------------------------------------------- styles */

  // The element brings its own styles, as Stripe's iframe does; appearance sets the variables.
  const CSS = `
.se-payment{--se-primary:#0570de;--se-bg:#fff;--se-text:#30313d;--se-danger:#df1b41;
  --se-radius:5px;--se-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;display:grid;
  grid-template-columns:1fr 1fr;gap:12px;font-family:var(--se-font);color:var(--se-text)}
.se-field{display:flex;flex-direction:column;gap:4px;min-width:0}
.se-field--wide{grid-column:1/-1} .se-field[hidden]{display:none}
.se-label{font-size:14px} .se-box{position:relative}
.se-input{box-sizing:border-box;width:100%;padding:10px 12px;font:inherit;font-size:16px;
  color:var(--se-text);background:var(--se-bg);border:1px solid #e0e0e6;
  border-radius:var(--se-radius);box-shadow:0 1px 2px rgba(0,0,0,.04)}
.se-input:focus{outline:2px solid var(--se-primary);outline-offset:0;border-color:var(--se-primary)}
.se-input[aria-invalid=true]{border-color:var(--se-danger);color:var(--se-danger)}
.se-input[readonly]{opacity:.7}
.se-brand{position:absolute;right:10px;top:50%;transform:translateY(-50%);font-size:12px;
  font-weight:600;color:#6d6e78;pointer-events:none}
.se-error{font-size:14px;color:var(--se-danger)} .se-error:empty{display:none}
.se-sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
  white-space:nowrap}`;

  const APPEARANCE_VARIABLES = {
    colorPrimary: '--se-primary', colorBackground: '--se-bg', colorText: '--se-text',
    colorDanger: '--se-danger', fontFamily: '--se-font', borderRadius: '--se-radius',
  };
  const NIGHT_THEME = {colorPrimary: '#0085ff', colorBackground: '#30313d', colorText: '#fff',
    colorDanger: '#fe87a1'};

  let stylesAdded = false;

  // A constructed sheet needs no 'unsafe-inline' in the merchant's Content-Security-Policy.
  function injectStyles() {
    if (stylesAdded) return;
    stylesAdded = true;
    if (document.adoptedStyleSheets && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat(sheet);
    } else {
      document.head.appendChild(el('style', {}, CSS));
    }
  }

  function applyAppearance(root, appearance) {
    const theme = appearance && appearance.theme === 'night' ? NIGHT_THEME : {};
    const variables = Object.assign({}, theme, appearance && appearance.variables);
    Object.keys(APPEARANCE_VARIABLES).forEach((name) => {
      if (variables[name]) root.style.setProperty(APPEARANCE_VARIABLES[name], variables[name]);
      else root.style.removeProperty(APPEARANCE_VARIABLES[name]);
    });
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((name) => node.setAttribute(name, attrs[name]));
    [].concat(children === undefined ? [] : children).forEach((child) => node.append(child));
    return node;
  }

  /* --------------------------------------------------------- Payment Element */

  // The card fields, in display and validation order.
  const FIELDS = [
    {key: 'number', label: 'Card number', testid: 'card-number', autocomplete: 'cc-number',
      placeholder: '1234 1234 1234 1234', numeric: true, wide: true, maxLength: 23},
    {key: 'expiry', label: 'Expiration date', testid: 'card-expiry', autocomplete: 'cc-exp',
      placeholder: 'MM / YY', numeric: true, maxLength: 9},
    {key: 'cvc', label: 'Security code', testid: 'card-cvc', autocomplete: 'cc-csc',
      placeholder: 'CVC', numeric: true, maxLength: 4},
    {key: 'postal', label: 'Postal code', testid: 'postal-code', autocomplete: 'postal-code',
      placeholder: '', numeric: false, wide: true, maxLength: 12},
  ];

  let elementCount = 0;

  // A blur error pushes down what is below it. When the blur comes from a press elsewhere (the
  // Pay button), the error waits until that press is over, or the shift would swallow the click.
  let pointerDown = false;
  window.addEventListener('pointerdown', () => { pointerDown = true; }, true);
  ['pointerup', 'pointercancel'].forEach((type) => {
    window.addEventListener(type, () => { pointerDown = false; }, true);
  });

  function afterPointerRelease(action) {
    if (!pointerDown) return action();
    const run = () => setTimeout(action, 0); // after the click that this press makes
    ['pointerup', 'pointercancel'].forEach((type) => {
      window.addEventListener(type, run, {once: true, capture: true});
    });
  }

  // Stripe hides the postal code when the merchant says it collects the address itself.
  function postalCodeWanted(options) {
    const billing = options.fields && options.fields.billingDetails;
    const address = billing && billing.address;
    if (billing === 'never' || address === 'never') return false;
    return !(address && address.postalCode === 'never');
  }

  class PaymentElement extends Emitter {
    constructor(group, options) {
      super();
      this._group = group;
      this._options = Object.assign({}, options);
      this._container = null;
      this._destroyed = false;
      this._busy = false;
      this._showing = {}; // field key -> its error is on display
      this._root = this._render();
      const defaults = this._options.defaultValues || {};
      const address = (defaults.billingDetails || {}).address || {};
      this._inputs.postal.value = address.postal_code || '';
      this._applyOptions();
    }

    _render() {
      const prefix = 'stripe-emulator-' + (++elementCount);
      const root = el('div', {class: 'se-payment', 'data-testid': 'payment-element'});
      this._inputs = {};
      this._errors = {};
      this._fields = {};
      FIELDS.forEach((field) => root.appendChild(this._renderField(prefix, field)));
      // One live region for the element's message, so screen readers announce it once.
      this._summary = el('div', {class: 'se-sr', role: 'alert', 'data-testid': 'card-error'});
      root.appendChild(this._summary);
      root.addEventListener('focusin', (event) => this._onFocusChange(event, true));
      root.addEventListener('focusout', (event) => this._onFocusChange(event, false));
      root.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') this._emit('escape', {elementType: 'payment'});
      });
      return root;
    }

    _renderField(prefix, field) {
      const id = prefix + '-' + field.key;
      const input = el('input', {id: id, class: 'se-input', type: 'text', spellcheck: 'false',
        autocomplete: field.autocomplete, placeholder: field.placeholder,
        'aria-describedby': id + '-error', 'data-testid': field.testid});
      if (field.numeric) input.setAttribute('inputmode', 'numeric');
      if (field.maxLength) input.maxLength = field.maxLength;
      const box = el('div', {class: 'se-box'}, input);
      if (field.key === 'number') {
        this._brand = el('span', {class: 'se-brand', 'data-testid': 'card-brand'});
        box.appendChild(this._brand);
      }
      const error = el('div', {id: id + '-error', class: 'se-error',
        'data-testid': field.testid + '-error'});
      const wrapper = el('div', {class: 'se-field' + (field.wide ? ' se-field--wide' : '')},
        [el('label', {for: id, class: 'se-label'}, field.label), box, error]);
      input.addEventListener('input', (event) => this._onInput(field.key, event));
      input.addEventListener('blur', () => this._onFieldBlur(field.key));
      this._inputs[field.key] = input;
      this._errors[field.key] = error;
      this._fields[field.key] = wrapper;
      return wrapper;
    }

    /* --- public API (StripeElementBase and StripePaymentElement) --- */

    mount(target) {
      this._assertAlive();
      integration(!this._container, 'This Element is already mounted. Use `unmount()` to ' +
        'unmount the Element before re-mounting.');
      const node = typeof target === 'string' ? document.querySelector(target) : target;
      integration(node || typeof target !== 'string', 'The selector you specified (' + target +
        ') applies to no DOM elements that are currently on the page.\nMake sure the element ' +
        'exists on the page before calling mount().');
      integration(node instanceof HTMLElement, 'Invalid DOM element. Make sure to call mount() ' +
        'with a valid DOM element or selector.');
      injectStyles();
      node.appendChild(this._root);
      node.classList.add('StripeElement');
      this._container = node;
      this._refreshState();
      this._load(node);
    }

    unmount() {
      this._assertAlive();
      if (!this._container) return;
      this._container.classList.remove('StripeElement', 'StripeElement--empty',
        'StripeElement--complete', 'StripeElement--invalid', 'StripeElement--focus');
      this._root.remove();
      this._container = null;
    }

    destroy() {
      this._assertAlive();
      this.unmount();
      this._group._forget(this);
      this._destroyed = true;
    }

    update(options) {
      this._assertAlive();
      Object.assign(this._options, options);
      this._applyOptions();
      return this;
    }

    focus() {
      this._inputs.number.focus();
    }

    blur() {
      if (this._root.contains(document.activeElement)) document.activeElement.blur();
    }

    clear() {
      Object.keys(this._inputs).forEach((key) => { this._inputs[key].value = ''; });
      this._showing = {};
      this._refreshState();
      this._emitChange();
    }

    collapse() {
      return this; // Only the card form exists here, so there is nothing to collapse.
    }

    /* --- internals used by the Elements group and by confirmPayment --- */

    // Shows every field's error, as Stripe does on submit; returns the first as a StripeError.
    _validateAll() {
      FIELDS.forEach((field) => { this._showing[field.key] = true; });
      this._refreshState();
      const code = this._firstError();
      return code ? {type: 'validation_error', code: code, message: MESSAGES[code]} : null;
    }

    _paymentMethodData() {
      const expiry = digitsOf(this._inputs.expiry.value);
      const data = {type: 'card', card: {
        number: digitsOf(this._inputs.number.value),
        exp_month: Number(expiry.slice(0, 2)),
        exp_year: 2000 + Number(expiry.slice(2, 4)),
        cvc: digitsOf(this._inputs.cvc.value),
      }};
      if (postalCodeWanted(this._options)) {
        data.billing_details = {address: {postal_code: this._inputs.postal.value.trim()}};
      }
      return data;
    }

    // Fields are read-only while a confirmation is in flight, like Stripe's processing state.
    _setBusy(busy) {
      this._busy = busy;
      this._applyOptions();
    }

    /* --- rendering and state --- */

    _assertAlive() {
      integration(!this._destroyed, 'This Element has already been destroyed. Please create ' +
        'a new one.');
    }

    // Like Stripe's element, loading checks the client secret: "ready" or "loaderror".
    _load(container) {
      if (!this._loading) this._loading = this._group._loadIntent();
      Promise.resolve().then(() => this._emit('loaderstart', {elementType: 'payment'}));
      this._loading.then((result) => {
        if (this._container !== container) return; // unmounted meanwhile
        if (result.error) this._emit('loaderror', {elementType: 'payment', error: result.error});
        else this._emit('ready', {elementType: 'payment'});
      });
    }

    _applyOptions() {
      const readOnly = Boolean(this._options.readOnly) || this._busy;
      Object.keys(this._inputs).forEach((key) => { this._inputs[key].readOnly = readOnly; });
      this._fields.postal.hidden = !postalCodeWanted(this._options);
      this._root.setAttribute('aria-busy', String(this._busy));
      applyAppearance(this._root, this._group._options.appearance);
    }

    _check(key) {
      const value = this._inputs[key].value;
      if (key === 'number') return checkNumber(digitsOf(value));
      if (key === 'expiry') return checkExpiry(digitsOf(value), new Date());
      if (key === 'cvc') return checkCvc(digitsOf(value), this._cardBrand());
      return postalCodeWanted(this._options) ? checkPostalCode(value) : null;
    }

    _cardBrand() {
      return brandOf(digitsOf(this._inputs.number.value));
    }

    _firstError() {
      return FIELDS.map((field) => this._check(field.key)).find(Boolean) || null;
    }

    _onInput(key, event) {
      const inserting = !event.inputType || event.inputType.indexOf('insert') === 0;
      this._format(key, inserting);
      // "Invalid" is shown as soon as it is certain; "incomplete" waits for blur or submit.
      const code = this._check(key);
      this._showing[key] = Boolean(code) && (this._showing[key] || !/^incomplete/.test(code));
      this._refreshState();
      this._emitChange();
      const input = this._inputs[key];
      if (inserting && !code && key !== 'postal' && input.selectionStart === input.value.length) {
        this._advanceFrom(key);
      }
    }

    _format(key, inserting) {
      const input = this._inputs[key];
      const brand = this._cardBrand();
      if (key === 'number') {
        const digits = digitsOf(input.value).slice(0, brandOf(digitsOf(input.value)).length);
        setFormatted(input, formatNumber(digits, brandOf(digits)));
      } else if (key === 'expiry') {
        setFormatted(input, formatExpiry(input.value, inserting));
      } else if (key === 'cvc') {
        setFormatted(input, digitsOf(input.value).slice(0, brand.cvc));
      }
      if (key === 'number') this._format('cvc', false); // a brand change changes the CVC length
    }

    // A complete field moves focus on, as Stripe's card fields do.
    _advanceFrom(key) {
      const order = FIELDS.map((field) => field.key).filter((k) => !this._fields[k].hidden);
      const next = this._inputs[order[order.indexOf(key) + 1]];
      if (next && next.value === '') next.focus();
    }

    _onFieldBlur(key) {
      afterPointerRelease(() => {
        if (this._inputs[key].value.trim() === '' || !this._check(key)) return;
        this._showing[key] = true;
        this._refreshState();
      });
    }

    _onFocusChange(event, entering) {
      if (this._root.contains(event.relatedTarget)) return; // focus moved between our fields
      if (this._container) this._container.classList.toggle('StripeElement--focus', entering);
      this._emit(entering ? 'focus' : 'blur', {elementType: 'payment'});
    }

    // Paints errors, the brand and the container's StripeElement--* classes from the inputs.
    _refreshState() {
      let firstMessage = '';
      FIELDS.forEach((field) => {
        const code = this._showing[field.key] ? this._check(field.key) : null;
        if (!code) this._showing[field.key] = false;
        const message = code ? MESSAGES[code] : '';
        this._errors[field.key].textContent = message;
        this._inputs[field.key].setAttribute('aria-invalid', String(Boolean(code)));
        firstMessage = firstMessage || message;
      });
      this._summary.textContent = firstMessage;
      const brand = this._cardBrand();
      this._brand.textContent = brand.name;
      this._brand.setAttribute('data-brand', brand.id);
      if (!this._container) return;
      const classes = this._container.classList;
      classes.toggle('StripeElement--empty', this._isEmpty());
      classes.toggle('StripeElement--complete', !this._firstError());
      classes.toggle('StripeElement--invalid', Boolean(firstMessage));
    }

    _isEmpty() {
      return Object.keys(this._inputs).every((key) =>
        this._fields[key].hidden || this._inputs[key].value.trim() === '');
    }

    _emitChange() {
      this._emit('change', {elementType: 'payment', complete: !this._firstError(),
        empty: this._isEmpty(), collapsed: false, value: {type: 'card'}});
    }
  }

  /* --------------------------------------------------------------- Elements */

  class Elements {
    constructor(stripe, options) {
      this._stripe = stripe;
      this._options = Object.assign({}, options);
      this._payment = null;
      this._submitted = false;
      this._events = new Emitter();
    }

    create(type, options) {
      integration(type === 'payment', 'A valid Element name must be provided. Valid Elements ' +
        'are: payment; you passed: ' + type + '.');
      integration(!this._payment, 'Can only create one Element of type payment.');
      integration(this._options.clientSecret || this._options.mode, 'In order to create a ' +
        'payment element, you must pass a clientSecret or mode when creating the Elements group.');
      this._payment = new PaymentElement(this, options || {});
      return this._payment;
    }

    getElement(type) {
      return type === 'payment' ? this._payment : null;
    }

    update(options) {
      Object.assign(this._options, options);
      if (this._payment) this._payment._applyOptions();
      Promise.resolve().then(() => this._events._emit('update-end'));
      return Promise.resolve();
    }

    on(type, handler) {
      this._events.on(type, handler);
    }

    fetchUpdates() {
      return Promise.resolve({}); // amounts live on the server; nothing here depends on them
    }

    async submit() {
      const element = this._mountedElement();
      integration(element, 'elements.submit(): a mounted Payment Element is required.');
      const error = element._validateAll();
      this._submitted = !error;
      return error ? {error: error} : {selectedPaymentMethod: 'card'};
    }

    _mountedElement() {
      return this._payment && this._payment._container ? this._payment : null;
    }

    _forget(element) {
      if (this._payment === element) this._payment = null;
    }

    _loadIntent() {
      const clientSecret = this._options.clientSecret;
      if (!clientSecret) return Promise.resolve({});
      return this._stripe._api('GET', '/v1/payment_intents/' + intentIdFrom(clientSecret,
        'elements()'), {client_secret: clientSecret});
    }
  }

  /* ----------------------------------------------------------------- Stripe */

  // Statuses after which a card payment needs nothing more from the customer.
  const SETTLED = ['succeeded', 'processing', 'requires_capture'];

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function deepMerge(base, extra) {
    const out = Object.assign({}, base);
    Object.keys(extra || {}).forEach((key) => {
      const value = extra[key];
      const nested = isPlainObject(value) && isPlainObject(out[key]);
      out[key] = nested ? deepMerge(out[key], value) : value;
    });
    return out;
  }

  // Leaving the page: the promise never settles, as with Stripe.js while it redirects.
  function navigate(url) {
    window.location.assign(url);
    return new Promise(() => {});
  }

  function returnUrlFor(returnUrl, intent, clientSecret) {
    const url = new URL(returnUrl);
    url.searchParams.set('payment_intent', intent.id);
    url.searchParams.set('payment_intent_client_secret', clientSecret);
    url.searchParams.set('redirect_status', 'succeeded');
    return url.toString();
  }

  function assertAbsoluteUrl(value, caller) {
    try {
      new URL(value);
    } catch (err) {
      throw new IntegrationError('Invalid value for ' + caller + ': confirmParams.return_url ' +
        'should be a valid URL. You specified: ' + value + '.');
    }
  }

  class StripeInstance {
    constructor(publishableKey, options) {
      this._key = publishableKey;
      this._options = Object.assign({}, options);
    }

    elements(options) {
      const opts = options || {};
      if (opts.clientSecret !== undefined) intentIdFrom(opts.clientSecret, 'elements()');
      return new Elements(this, opts);
    }

    async confirmPayment(options) {
      const opts = options || {};
      const elements = opts.elements;
      const params = Object.assign({}, opts.confirmParams);
      const redirect = opts.redirect || 'always';
      this._checkConfirmOptions(opts, params, redirect);
      const clientSecret = opts.clientSecret || (elements && elements._options.clientSecret);
      const id = intentIdFrom(clientSecret, 'stripe.confirmPayment()');
      const element = elements ? elements._mountedElement() : null;
      integration(element || !elements || params.payment_method, 'Invalid value for ' +
        'stripe.confirmPayment(): elements should have a mounted Payment Element.');
      if (element) {
        const invalid = element._validateAll();
        if (invalid) return {error: invalid};
        params.payment_method_data = deepMerge(params.payment_method_data,
          element._paymentMethodData());
        element._setBusy(true);
      }
      params.client_secret = clientSecret;
      const result = await this._api('POST', '/v1/payment_intents/' + id + '/confirm', params);
      if (element) element._setBusy(false);
      if (elements) elements._submitted = false; // each confirmation needs its own submit()
      return this._afterConfirm(result, clientSecret, params.return_url, redirect);
    }

    async retrievePaymentIntent(clientSecret) {
      const id = intentIdFrom(clientSecret, 'stripe.retrievePaymentIntent()');
      const result = await this._api('GET', '/v1/payment_intents/' + id,
        {client_secret: clientSecret});
      return result.error ? {error: result.error} : {paymentIntent: result.body};
    }

    async handleNextAction(options) {
      const result = await this.retrievePaymentIntent(options && options.clientSecret);
      if (result.error || result.paymentIntent.status !== 'requires_action') return result;
      return this._handleAction(result.paymentIntent);
    }

    _checkConfirmOptions(opts, params, redirect) {
      integration(redirect === 'always' || redirect === 'if_required', 'Invalid value for ' +
        'stripe.confirmPayment(): redirect should be one of the following strings: always, ' +
        'if_required. You specified: ' + redirect + '.');
      integration(redirect !== 'always' || params.return_url, 'stripe.confirmPayment(): the ' +
        "`confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`");
      if (params.return_url) assertAbsoluteUrl(params.return_url, 'stripe.confirmPayment()');
      integration(!opts.elements || opts.elements instanceof Elements, 'Invalid value for ' +
        'stripe.confirmPayment(): elements should be an Elements group from stripe.elements().');
      integration(opts.elements || opts.clientSecret, 'stripe.confirmPayment(): expected either ' +
        '`elements` or `clientSecret`, but got neither.');
      const deferred = opts.elements && !opts.elements._options.clientSecret;
      integration(!deferred || opts.clientSecret, 'stripe.confirmPayment(): the `clientSecret` ' +
        'argument is required when the Elements group was created without one.');
      integration(!deferred || opts.elements._submitted, 'elements.submit() must be called ' +
        'before stripe.confirmPayment(). Call elements.submit() as soon as your customer ' +
        'presses pay, prior to any asynchronous work.');
    }

    _afterConfirm(result, clientSecret, returnUrl, redirect) {
      if (result.error) return {error: result.error};
      const intent = result.body;
      if (intent.status === 'requires_action') return this._handleAction(intent);
      if (SETTLED.indexOf(intent.status) !== -1 && redirect === 'always') {
        return navigate(returnUrlFor(returnUrl, intent, clientSecret));
      }
      if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
        return {error: Object.assign({}, intent.last_payment_error, {payment_intent: intent})};
      }
      return {paymentIntent: intent};
    }

    // 3-D Secure in the emulator is a redirect to its test page, which returns to return_url.
    _handleAction(intent) {
      const action = intent.next_action || {};
      if (action.type === 'redirect_to_url' && action.redirect_to_url) {
        return navigate(action.redirect_to_url.url);
      }
      return {error: {type: 'invalid_request_error', code: 'payment_intent_unexpected_state',
        message: 'Unsupported next_action type: ' + action.type + '.', payment_intent: intent}};
    }

    _api(method, path, params) {
      return request(method, path, Object.assign({key: this._key}, params));
    }
  }

  function Stripe(publishableKey, options) {
    integration(typeof publishableKey === 'string' && publishableKey !== '', 'Please call ' +
      'Stripe() with your publishable key. You used an empty string.');
    integration(!/^(sk|rk)_/.test(publishableKey), 'You should not use your secret key with ' +
      'Stripe.js.\nPlease pass a publishable key instead.');
    return new StripeInstance(publishableKey, options || {});
  }

  Stripe.version = 3;
  window.Stripe = Stripe;
})();
