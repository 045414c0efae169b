// A checkout that collects the customer's address with the Address Element. The events the
// Address Element fires are kept in window.addressEvents, and the elements in window.checkout,
// for the tests to read.
const stripe = Stripe(document.body.dataset.publishableKey);
const query = new URLSearchParams(window.location.search);
const addressOptions = JSON.parse(query.get('options') || '{"mode": "shipping"}');

window.addressEvents = [];
window.checkout = {};

main();

async function main() {
  const response = await fetch('/create-payment-intent', {method: 'POST'});
  const {clientSecret} = await response.json();
  document.body.dataset.paymentIntent = clientSecret.split('_secret_')[0];

  const elements = stripe.elements({clientSecret, appearance: {theme: 'stripe'}});
  const linkAuthenticationElement = elements.create('linkAuthentication');
  const addressElement = elements.create('address', addressOptions);
  const paymentElement = elements.create('payment');
  Object.assign(window.checkout, {elements, addressElement, paymentElement});

  if (addressOptions.mode === 'billing') {
    document.querySelector('#address-heading').textContent = 'Billing address';
  }
  ['change', 'ready', 'focus', 'blur'].forEach((type) => {
    addressElement.on(type, (event) => window.addressEvents.push({type, event}));
  });
  let waiting = 3;
  [linkAuthenticationElement, addressElement, paymentElement].forEach((element) => {
    element.on('ready', () => {
      waiting -= 1;
      if (waiting > 0) return;
      document.querySelector('#submit').disabled = false;
      document.body.dataset.ready = 'true';
    });
  });
  linkAuthenticationElement.mount('#link-authentication-element');
  addressElement.mount('#address-element');
  paymentElement.mount('#payment-element');

  document.querySelector('#payment-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = document.querySelector('#submit');
    const message = document.querySelector('#payment-message');
    submit.disabled = true;
    message.textContent = '';
    const submitted = await elements.submit();
    if (submitted.error) {
      message.textContent = submitted.error.message;
      submit.disabled = false;
      return;
    }
    const {error, paymentIntent} = await stripe.confirmPayment({
      elements,
      redirect: 'if_required',
      confirmParams: {return_url: window.location.origin + '/sample-complete'},
    });
    if (error) message.textContent = error.message;
    else document.querySelector('#result').textContent = paymentIntent.status;
    submit.disabled = false;
  });
}
