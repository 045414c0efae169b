/* ----------------------------------------------------------------- Stripe */

// Statuses after which a card payment needs nothing more from the customer.
const SETTLED = ['succeeded', 'processing', 'requires_capture'];

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

  // Options: clientSecret, or mode/amount/currency (deferred); appearance (its variables are
  // applied), loader, locale and fonts are accepted.
  elements(options) {
    const opts = options || {};
    if (opts.clientSecret !== undefined) intentIdFrom(opts.clientSecret, 'elements()');
    const loaders = ['auto', 'always', 'never'];
    integration(opts.loader === undefined || loaders.indexOf(opts.loader) !== -1, 'Invalid ' +
      'value for elements(): loader should be one of the following strings: ' +
      loaders.join(', ') + '. You specified: ' + opts.loader + '.');
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
    let body = params;
    if (elements) {
      const invalid = elements._validate();
      if (invalid) return {error: invalid};
      body = elements._confirmParams(params);
      elements._setBusy(true);
    }
    body.client_secret = clientSecret;
    const result = await this._api('POST', '/v1/payment_intents/' + id + '/confirm', body);
    if (elements) elements._setBusy(false);
    if (elements) elements._submitted = false; // each confirmation needs its own submit()
    return this._afterConfirm(result, clientSecret, body.return_url, redirect);
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
