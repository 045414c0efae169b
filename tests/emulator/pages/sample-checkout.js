// The merchant's checkout script, as Stripe's Payment Element quickstart writes it: the server
// creates the PaymentIntent, the page mounts the elements and confirms with a return_url.
const stripe = Stripe(document.body.dataset.publishableKey);

let elements;
let emailAddress = '';

initialize();
document.querySelector('#payment-form').addEventListener('submit', handleSubmit);

async function initialize() {
  const response = await fetch('/create-payment-intent', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({items: [{id: 'dream-machine'}]}),
  });
  const {clientSecret} = await response.json();
  document.body.dataset.paymentIntent = clientSecret.split('_secret_')[0];

  elements = stripe.elements({appearance: {theme: 'stripe'}, clientSecret, loader: 'auto'});

  const linkAuthenticationElement = elements.create('linkAuthentication');
  linkAuthenticationElement.mount('#link-authentication-element');
  linkAuthenticationElement.on('change', (event) => {
    emailAddress = event.value.email;
  });

  const paymentElement = elements.create('payment', {layout: 'tabs'});
  paymentElement.on('ready', () => {
    document.querySelector('#submit').disabled = false;
    document.body.dataset.ready = 'true';
  });
  paymentElement.mount('#payment-element');
}

async function handleSubmit(event) {
  event.preventDefault();
  setLoading(true);

  const {error} = await stripe.confirmPayment({
    elements,
    confirmParams: {
      return_url: window.location.origin + '/sample-complete',
      receipt_email: emailAddress,
    },
  });

  // Only an immediate error gets here: otherwise the customer is on the return_url by now.
  if (error.type === 'card_error' || error.type === 'validation_error') {
    showMessage(error.message);
  } else {
    showMessage('An unexpected error occurred.');
  }
  setLoading(false);
}

function showMessage(text) {
  const message = document.querySelector('#payment-message');
  message.hidden = false;
  message.textContent = text;
}

function setLoading(loading) {
  document.querySelector('#submit').disabled = loading;
  document.querySelector('#spinner').hidden = !loading;
  document.querySelector('#button-text').hidden = loading;
}
