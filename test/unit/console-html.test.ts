import { describe, expect, it } from 'vitest';
import { consoleUrl, escapeHtml, html, trusted } from '../../src/console/html.js';
import { sparkline, withUnit } from '../../src/console/views/chart.js';
import { time } from '../../src/console/views/layout.js';

describe('html``', () => {
  it('escapes every interpolated text, in content and in attributes', () => {
    const name = `<script>alert('x')</script> & "quoted"`;
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;</td>',
    );
  });

  it('keeps markup made by html`` as it is, and escapes lists item by item', () => {
    const items = ['<a>', html`<b>bold</b>`];
    expect(html`<p>${items}</p>`.text).toBe('<p>&lt;a&gt;<b>bold</b></p>');
  });

  it('writes nothing for false, null and undefined, and numbers as text', () => {
    expect(html`${false}${null}${undefined}${true}|${0}|${12.5}`.text).toBe('|0|12.5');
  });

  it('marks only constants as trusted', () => {
    expect(html`${trusted('<br>')}`.text).toBe('<br>');
    expect(escapeHtml(String(trusted('<br>')))).toBe('&lt;br&gt;');
  });

  it('builds console URLs that leave out empty parameters and encode the rest', () => {
    expect(consoleUrl('/console/alarms', { site: '', severity: 'critical', device: 'a&b c', code: undefined })).toBe('/console/alarms?severity=critical&device=a%26b+c');
    expect(consoleUrl('/console/alarms')).toBe('/console/alarms');
  });
});

describe('times and charts', () => {
  it('writes a time as UTC text with the instant, for the browser to localize', () => {
    expect(time(Date.UTC(2026, 0, 2, 3, 4, 5, 678)).text).toBe('<time datetime="2026-01-02T03:04:05.678Z" title="2026-01-02 03:04:05 UTC">2026-01-02 03:04:05 UTC</time>');
    expect(time(null).text).toContain('never');
  });

  it('draws a reading history as an SVG line scaled to its range, with a text alternative', () => {
    const svg = sparkline([{ at: 0, value: 10 }, { at: 50, value: 30 }, { at: 100, value: 20 }], 'percent', 'load').text;
    expect(svg).toContain('points="2.0,46.0 120.0,2.0 238.0,24.0"');
    expect(svg).toContain('aria-label="load: 3 points, from 10 % to 30 %"');
    expect(sparkline([{ at: 0, value: 1 }], 'volts', 'x').text).toContain('one point so far');
  });

  it('writes values with their unit', () => {
    expect([withUnit(230, 'volts'), withUnit(21.55, 'celsius'), withUnit(3.14159, 'amperes'), withUnit(2, 'state')]).toEqual(['230 V', '21.6 °C', '3.14 A', '2']);
  });
});
