document.body.textContent = 'Copy Jobs';
