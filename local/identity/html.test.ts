import { describe, expect, it } from 'vitest';
import { escapeHtml, html, Html } from './html.js';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const evil = `"><script>alert('x')</script>\`&`;
    const out = html`<input value="${evil}"><p>${evil}</p>`.value;
    expect(out).toBe('<input value="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#96;&amp;"><p>&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#96;&amp;</p>');
  });

  it('keeps nested Html as markup, escapes lists item by item and drops empty values', () => {
    const items = ['<a>', 'b'].map((v) => html`<li>${v}</li>`);
    expect(html`<ul>${items}</ul>${undefined}${null}${false}${0}`.value).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
    expect(html`${new Html('<b>raw</b>')}`.value).toBe('<b>raw</b>');
    expect(escapeHtml('plain text')).toBe('plain text');
  });
});
