/* ------------------------------------------ Link Authentication Element */

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

// The customer's email. Link itself (saved payment details) does not exist here.
class LinkAuthenticationElement extends BaseElement {
  constructor(group, options) {
    super(group, 'linkAuthentication', options);
    this._showing = false;
    const prefix = idPrefix();
    this._field = renderField(prefix, {key: 'email', label: 'Email', testid: 'link-email',
      type: 'email', autocomplete: 'email', inputmode: 'email'});
    this._input = this._field.control;
    this._input.setAttribute('aria-required', 'true');
    this._field.error.setAttribute('role', 'alert');
    this._root = el('div', {class: 'se-element se-link',
      'data-testid': 'link-authentication-element'}, this._field.wrapper);
    this._input.value = ((this._options.defaultValues || {}).email || '').trim();
    this._input.addEventListener('input', () => {
      this._showing = this._showing && Boolean(this._check());
      this._refreshState();
      this._emitChange();
    });
    this._input.addEventListener('blur', () => afterPointerRelease(() => {
      if (this._destroyed || this._email() === '' || !this._check()) return;
      this._showing = true;
      this._refreshState();
    }));
    this._listenForFocus();
  }

  _email() {
    return this._input.value.trim();
  }

  _check() {
    const email = this._email();
    if (email === '') return {code: 'incomplete_email', message: 'Your email is incomplete.'};
    if (!EMAIL_PATTERN.test(email)) {
      return {code: 'invalid_email', message: 'Your email address is invalid.'};
    }
    return null;
  }

  _refreshState() {
    const problem = this._showing ? this._check() : null;
    this._showing = Boolean(problem);
    this._field.error.textContent = problem ? problem.message : '';
    this._input.setAttribute('aria-invalid', String(Boolean(problem)));
    this._refreshContainer();
  }

  _emitChange() {
    this._emit('change', this._event({empty: this._email() === '',
      complete: this._isComplete(), value: {email: this._email()}}));
  }

  _isEmpty() {
    return this._email() === '';
  }

  _isComplete() {
    return !this._check();
  }

  _hasError() {
    return this._showing;
  }

  _validateAll() {
    this._showing = true;
    this._refreshState();
    const problem = this._check();
    return problem ? {type: 'validation_error', code: problem.code, message: problem.message}
      : null;
  }

  _setBusy(busy) {
    this._busy = busy;
    this._input.readOnly = busy;
  }

  _afterMount(container) {
    this._refreshState();
    super._afterMount(container);
  }

  _optionsChanged() {}
}

/* ---------------------------------------------- Express Checkout Element */

// Wallet buttons (Apple Pay, Google Pay, Link, PayPal). No wallet is available here, so it
// draws nothing, says so in "ready", and never fires click, confirm or cancel.
class ExpressCheckoutElement extends BaseElement {
  constructor(group, options) {
    super(group, 'expressCheckout', options);
    this._root = el('div', {class: 'se-element se-express', hidden: '',
      'data-testid': 'express-checkout-element'});
  }

  _readyEvent() {
    return this._event({availablePaymentMethods: undefined});
  }

  _isEmpty() {
    return false;
  }
}
