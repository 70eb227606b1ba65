// The demo's script: a module, which the browser runs only when it is served as JavaScript
// (text/javascript) — with X-Content-Type-Options: nosniff it would refuse anything else.
document.documentElement.dataset.script = 'ran';

for (const element of document.querySelectorAll('.origin')) element.textContent = location.origin;

const FILES = ['index.html', 'style.css', 'script.js', 'tone.wav'];

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.append(td);
}

async function describeFiles() {
  const body = document.querySelector('#files tbody');
  for (const file of FILES) {
    const response = await fetch(file, { method: 'HEAD', cache: 'no-store' });
    const row = document.createElement('tr');
    cell(row, file);
    cell(row, String(response.status));
    cell(row, response.headers.get('content-type') ?? '');
    cell(row, response.headers.get('content-length') ?? '');
    cell(row, response.headers.get('etag') ?? '');
    body.append(row);
  }
}

async function showRanges() {
  // The first 44 bytes of a WAV are its header: "RIFF", a size, "WAVE", the format chunk.
  const one = await fetch('tone.wav', { headers: { Range: 'bytes=0-43' }, cache: 'no-store' });
  const header = new Uint8Array(await one.arrayBuffer());
  const view = new DataView(header.buffer);
  const tag = (at) => String.fromCharCode(...header.subarray(at, at + 4));
  document.querySelector('#range-one').textContent =
    `Range: bytes=0-43 → ${one.status}, Content-Range: ${one.headers.get('content-range')}; ` +
    `${tag(0)}/${tag(8)}, ${view.getUint32(24, true)} Hz, ${view.getUint16(22, true)} channel, ${view.getUint16(34, true)}-bit`;
  const many = await fetch('tone.wav', { headers: { Range: 'bytes=0-3,8-11' }, cache: 'no-store' });
  document.querySelector('#range-many').textContent =
    `Range: bytes=0-3,8-11 → ${many.status}, Content-Type: ${many.headers.get('content-type')}, ${(await many.arrayBuffer()).byteLength} bytes`;
}

await Promise.all([describeFiles(), showRanges()]);
document.documentElement.dataset.described = 'yes';
