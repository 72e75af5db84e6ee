import { html, type Html } from '../html.js';
import { barePage, type AssetUrls } from './layout.js';

export interface SignInForm {
  /** Ties the form to this browser (a cookie holds the same value): no other site can sign it in. */
  nonce: string;
  /** Where to go after signing in (a console path). */
  next: string | undefined;
  /** Why the form is shown again. */
  problem?: string | undefined;
}

export function signInPage(assets: AssetUrls, form: SignInForm): Html {
  return barePage('Sign in', assets, html`
${form.problem && html`<p class="flash flash-error" role="alert">${form.problem}</p>`}
<form method="post" action="/console/sign-in" class="stacked">
<input type="hidden" name="_signin" value="${form.nonce}">
${form.next && html`<input type="hidden" name="next" value="${form.next}">`}
<label for="token">API token</label>
<input id="token" name="token" type="password" required autocomplete="off" spellcheck="false" autofocus maxlength="512">
<p class="hint">A token from <code>priscan token create</code> (or the one <code>npm run demo</code> prints). Its role decides what you see and may do.</p>
<button type="submit">Sign in</button>
</form>`);
}

/** An error page: what happened, and the way back. */
export function errorPage(assets: AssetUrls, title: string, message: string, back: { href: string; label: string }): Html {
  return barePage(title, assets, html`<p class="flash flash-error" role="alert">${message}</p><p><a href="${back.href}">${back.label}</a></p>`);
}
