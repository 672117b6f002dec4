/**
 * The page's Content-Security-Policy allows only stylesheets from the gateway and `<style>`
 * elements carrying this response's nonce. Monaco and Radix create `<style>` elements at run
 * time without one: give every `<style>` the nonce the server put in `<meta name="csp-nonce">`.
 * Imported first, before anything that may create a stylesheet.
 */
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
if (nonce) {
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (this: Document, tagName: string, options?: ElementCreationOptions) {
    const element = createElement.call(this, tagName, options);
    if (element instanceof HTMLStyleElement) element.nonce = nonce;
    return element;
  } as typeof Document.prototype.createElement;
}
export {};
