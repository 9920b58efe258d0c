// components/validation.ts: the validation job's log as the docker provider hands it over (containerLogs of
// an attached container), i.e. Docker's multiplexed stream with an 8-byte header before every frame,
// decoded to text. stripLogFraming and logTail must drop the headers and keep the lines.
import assert from "node:assert/strict";
import { logTail, stripLogFraming } from "../../components/validation";

/** One frame of Docker's multiplexed stream: stream byte, three zero bytes, big-endian payload size. */
function frame(payload: string, stream: 1 | 2 = 1): Buffer {
  const body = Buffer.from(payload, "utf8");
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** The stream as text: invalid UTF-8 bytes (size bytes >= 0x80) become one U+FFFD each, as in the provider. */
const decode = (...frames: Buffer[]) => Buffer.concat(frames).toString("utf8");

/** A JSON log line of exactly `bytes` bytes, newline included. */
function lineOf(bytes: number, step: string): string {
  const head = `{"step":"${step}","ok":true,"pad":"`;
  const tail = `"}\n`;
  return head + "x".repeat(bytes - head.length - tail.length) + tail;
}

/** Control characters other than tab and newline, and the replacement character. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FRAMING = /[\x00-\x08\x0b-\x1f\ufffd]/;

describe("components/validation log framing", () => {
  it("drops headers whose size bytes are a newline or >= 0x80, and keeps every line", () => {
    const ten = '{"a":123}\n'; // 10 bytes: the size's last byte is 0x0a, a "\n" inside the header
    const lines = [
      ten,
      lineOf(200, "decide"), // size 0x000000c8: one U+FFFD
      lineOf(0x185, "accept"), // size 0x00000185: "\x01" then one U+FFFD
      lineOf(100, "stored"),
    ];
    const logs = decode(
      frame(lines[0]),
      frame(lines[1]),
      frame(lines[2], 2), // stderr
      frame(lines[3]),
      frame('{"step":"result","ok":true}\n'),
    );
    assert.equal(Buffer.byteLength(ten), 0x0a);
    assert.ok(logs.includes("\x00\x00\x00\n"), "a header holds a newline");
    assert.ok(logs.includes("\ufffd"), "a header holds a byte decoded as U+FFFD");

    const text = stripLogFraming(logs);
    assert.equal(text, lines.join("") + '{"step":"result","ok":true}\n');
    assert.doesNotMatch(text, FRAMING);

    const tail = logTail(logs);
    assert.deepEqual(tail.split("\n"), [...lines.map((l) => l.trimEnd()), '{"step":"result","ok":true}']);
    assert.doesNotMatch(tail, FRAMING);
    assert.equal(logTail(logs, 2), `${lines[3].trimEnd()}\n{"step":"result","ok":true}`);
  });

  it("joins a line split across frames and several lines in one frame", () => {
    const logs = decode(
      frame('{"step":"dec'),
      frame('ide","ok":true}\n{"step":"accept","ok":true}\r\n'),
      frame(lineOf(0x90, "result")),
    );
    assert.deepEqual(logTail(logs).split("\n"), [
      '{"step":"decide","ok":true}',
      '{"step":"accept","ok":true}',
      lineOf(0x90, "result").trimEnd(),
    ]);
  });

  it("leaves unframed (TTY) logs as they are", () => {
    const plain = "one\ntwo\n\nthree\n";
    assert.equal(stripLogFraming(plain), plain);
    assert.equal(logTail(plain), "one\ntwo\nthree");
    assert.equal(logTail(undefined), "");
    assert.equal(logTail(""), "");
  });
});
