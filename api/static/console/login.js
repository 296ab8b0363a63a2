// The login form: posts JSON to the API (the session cookie comes back HttpOnly), then opens the console.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await P.api("POST", "/api/v1/auth/login", {
        email: form.email.value.trim(),
        password: form.password.value,
      });
      location.href = form.dataset.next || "/console";
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      form.password.value = "";
      form.password.focus();
    } finally {
      button.disabled = false;
    }
  });
  form.email.focus();
});
