/* --------------------------------------------------------------- Elements */

const ELEMENT_TYPES = {
  address: AddressElement,
  expressCheckout: ExpressCheckoutElement,
  linkAuthentication: LinkAuthenticationElement,
  payment: PaymentElement,
};

// Mounted elements in the order the page shows them, so submit() reports the first problem.
function inPageOrder(a, b) {
  const position = a._container.compareDocumentPosition(b._container);
  if (position & Node.DOCUMENT_POSITION_FOLLOWING) return -1;
  return position & Node.DOCUMENT_POSITION_PRECEDING ? 1 : 0;
}

class Elements {
  constructor(stripe, options) {
    this._stripe = stripe;
    this._options = Object.assign({}, options);
    this._created = []; // in creation order
    this._submitted = false;
    this._intent = null; // the PaymentIntent as last read, with a client secret
    this._events = new Emitter();
  }

  create(type, options) {
    integration(Object.prototype.hasOwnProperty.call(ELEMENT_TYPES, type), 'A valid Element ' +
      'name must be provided. Valid Elements are: ' + Object.keys(ELEMENT_TYPES).join(', ') +
      '; you passed: ' + type + '.');
    const opts = options || {};
    integration(isPlainObject(opts), 'Invalid value for create(): options should be an ' +
      'object. You specified: ' + opts + '.');
    if (type === 'address') checkAddressOptions(opts);
    const existing = type === 'address' ? this._getAddress(opts.mode) : this._find(type);
    integration(!existing, 'Can only create one Element of type ' + type + '.');
    integration(type !== 'payment' || this._options.clientSecret || this._options.mode,
      'In order to create a payment element, you must pass a clientSecret or mode when ' +
      'creating the Elements group.');
    const element = new ELEMENT_TYPES[type](this, opts);
    this._created.push(element);
    if (type === 'address') this._groupChanged(); // a billing address hides the card's postal
    return element;
  }

  // The element of that type, or null; an Address Element by its mode when one is given.
  getElement(type, options) {
    if (type === 'address') return this._getAddress(options && options.mode);
    return this._find(type);
  }

  update(options) {
    integration(isPlainObject(options), 'Invalid value for elements.update(): options should ' +
      'be an object. You specified: ' + options + '.');
    this._options = Object.assign({}, this._options, options);
    this._groupChanged();
    Promise.resolve().then(() => this._events._emit('update-end', {}));
    return Promise.resolve();
  }

  on(type, handler) {
    this._events.on(type, handler);
    return this;
  }

  once(type, handler) {
    this._events.once(type, handler);
    return this;
  }

  off(type, handler) {
    this._events.off(type, handler);
    return this;
  }

  // Reads the PaymentIntent again (its amount may have changed on the server).
  async fetchUpdates() {
    if (!this._options.clientSecret) return {};
    const result = await this._loadIntent();
    if (result.error) return {error: {message: result.error.message, status: result.error.code}};
    this._groupChanged();
    return {};
  }

  // Checks every mounted element and shows each one's errors; the first in the page is the
  // answer, as on Stripe.
  async submit() {
    integration(this._mountedElement(), 'elements.submit(): a mounted Payment Element is ' +
      'required.');
    const error = this._validate();
    this._submitted = !error;
    return error ? {error: error} : {selectedPaymentMethod: 'card'};
  }

  /* --- for the elements and confirmPayment --- */

  _find(type) {
    return this._created.find((element) => element._type === type) || null;
  }

  _getAddress(mode) {
    return this._created.find((element) => element._type === 'address' &&
      (!mode || element._options.mode === mode)) || null;
  }

  _mounted() {
    return this._created.filter((element) => element._container).sort(inPageOrder);
  }

  _mountedElement() {
    const payment = this._find('payment');
    return payment && payment._container ? payment : null;
  }

  _validate() {
    return this._mounted().map((element) => element._validateAll()).find(Boolean) || null;
  }

  _setBusy(busy) {
    this._mounted().forEach((element) => element._setBusy(busy));
  }

  // What the mounted elements add to a confirm request: the card, its billing details (name,
  // address, phone from a billing Address Element, the email from Link Authentication) and
  // the PaymentIntent's shipping from a shipping Address Element.
  _confirmParams(params) {
    const out = Object.assign({}, params);
    const mounted = (element) => (element && element._container ? element : null);
    const payment = this._mountedElement();
    const billing = mounted(this._getAddress('billing'));
    const shipping = mounted(this._getAddress('shipping'));
    const link = mounted(this._find('linkAuthentication'));
    if (payment) {
      const details = {};
      if (billing) Object.assign(details, billing._details());
      if (link && link._email()) details.email = link._email();
      let data = deepMerge(out.payment_method_data, payment._paymentMethodData());
      if (Object.keys(details).length) data = deepMerge(data, {billing_details: details});
      out.payment_method_data = data;
    }
    if (shipping) out.shipping = deepMerge(out.shipping, shipping._details());
    return out;
  }

  _forget(element) {
    this._created = this._created.filter((created) => created !== element);
    if (element._type === 'address') this._groupChanged();
  }

  _groupChanged() {
    this._created.forEach((element) => element._groupUpdated());
  }

  // The amount being paid: the PaymentIntent's, or the group's own in deferred mode.
  _amount() {
    if (this._intent) return {amount: this._intent.amount, currency: this._intent.currency};
    return {amount: this._options.amount, currency: this._options.currency};
  }

  _loadIntent() {
    const clientSecret = this._options.clientSecret;
    if (!clientSecret) return Promise.resolve({});
    return this._stripe._api('GET', '/v1/payment_intents/' + intentIdFrom(clientSecret,
      'elements()'), {client_secret: clientSecret}).then((result) => {
      if (result.body) this._intent = result.body;
      return result;
    });
  }
}
