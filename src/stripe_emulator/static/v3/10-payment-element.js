/* -------------------------------------------------------- Payment Element */

// The card form of the Payment Element: Stripe's card rules, formatting and messages.

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

// Stripe hides the postal code when the merchant says it collects the address itself, or
// when an Address Element in billing mode collects it.
function postalCodeWanted(options, group) {
  if (group && group._getAddress('billing')) return false;
  const billing = options.fields && options.fields.billingDetails;
  const address = billing && billing.address;
  if (billing === 'never' || address === 'never') return false;
  return !(address && address.postalCode === 'never');
}

class PaymentElement extends BaseElement {
  constructor(group, options) {
    super(group, 'payment', options);
    this._showing = {}; // field key -> its error is on display
    this._root = this._render();
    const defaults = this._options.defaultValues || {};
    const address = (defaults.billingDetails || {}).address || {};
    this._inputs.postal.value = address.postal_code || '';
    this._applyOptions();
  }

  _render() {
    const prefix = idPrefix();
    const root = el('div', {class: 'se-element se-payment', 'data-testid': 'payment-element'});
    this._root = root;
    this._inputs = {};
    this._errors = {};
    this._fields = {};
    FIELDS.forEach((field) => root.appendChild(this._renderField(prefix, field)));
    // One live region for the element's message, so screen readers announce it once.
    this._summary = el('div', {class: 'se-sr', role: 'alert', 'data-testid': 'card-error'});
    root.appendChild(this._summary);
    this._listenForFocus();
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

  focus() {
    this._inputs.number.focus();
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
    if (this._postalCodeWanted()) {
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

  // Like Stripe's element, loading checks the client secret: "ready" or "loaderror".
  _afterMount(container) {
    this._refreshState();
    if (!this._loading) this._loading = this._group._loadIntent();
    Promise.resolve().then(() => this._emit('loaderstart', this._event()));
    this._loading.then((result) => {
      if (this._container !== container) return; // unmounted meanwhile
      if (result.error) {
        this._emit('loaderror', this._event({error: result.error}));
        return;
      }
      this._showAmount();
      this._emit('ready', this._event());
    });
  }

  _optionsChanged() {
    this._applyOptions();
  }

  _groupUpdated() {
    this._applyOptions();
    this._refreshState();
  }

  _applyOptions() {
    const readOnly = Boolean(this._options.readOnly) || this._busy;
    Object.keys(this._inputs).forEach((key) => { this._inputs[key].readOnly = readOnly; });
    this._fields.postal.hidden = !this._postalCodeWanted();
    this._root.setAttribute('aria-busy', String(this._busy));
    this._applyGroupOptions();
    this._showAmount();
  }

  // The amount being paid, from the PaymentIntent (or the group's amount in deferred mode), as
  // data-amount and data-currency on the element: card payments show no amount in the form.
  _showAmount() {
    const amount = this._group._amount();
    if (amount.amount === undefined || amount.amount === null) {
      this._root.removeAttribute('data-amount');
    } else {
      this._root.setAttribute('data-amount', String(amount.amount));
    }
    if (amount.currency) this._root.setAttribute('data-currency', amount.currency);
    else this._root.removeAttribute('data-currency');
  }

  _postalCodeWanted() {
    return postalCodeWanted(this._options, this._group);
  }

  _check(key) {
    const value = this._inputs[key].value;
    if (key === 'number') return checkNumber(digitsOf(value));
    if (key === 'expiry') return checkExpiry(digitsOf(value), new Date());
    if (key === 'cvc') return checkCvc(digitsOf(value), this._cardBrand());
    return this._postalCodeWanted() ? checkPostalCode(value) : null;
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
    this._refreshContainer();
  }

  _isComplete() {
    return !this._firstError();
  }

  _hasError() {
    return this._summary.textContent !== '';
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
