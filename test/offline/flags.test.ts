import { expect } from "chai";
import { main } from "../../offline/main";

/** `npm start` with these flags, stopped at flag validation: every case here is refused before anything runs. */
async function refusal(...args: string[]) {
  const err: string[] = [];
  const code = await main(["node", "start", ...args], {
    stdout: { write: () => true },
    stderr: { write: (s: string) => err.push(s) },
  });
  return { code, err: err.join("") };
}

describe("offline: npm start's number flags", () => {
  it("take numbers written the way every other setting takes them: digits and one decimal point", async () => {
    const cases: [string, string, string][] = [
      ["--seed", "1e3", "--seed must be a whole number from 0 to 2147483647"],
      ["--seed", "-1", "--seed must be a whole number from 0 to 2147483647"],
      ["--camera-images", "0x10", "--camera-images must be a whole number from 1 to 10000"],
      ["--camera-images", "5.0", "--camera-images must be a whole number from 1 to 10000"],
      ["--viewer-port", "", "--viewer-port must be a whole number from 0 to 65535"],
      ["--viewer-port", " 80", "--viewer-port must be a whole number from 0 to 65535"],
      ["--images", "100001", "--images must be a whole number from 1 to 100000"],
      ["--edge-seconds", "soon", "--edge-seconds must be a number of seconds from 0 to 86400"],
      ["--edge-seconds", "1e2", "--edge-seconds must be a number of seconds from 0 to 86400"],
      ["--edge-interval", "86400.5", "--edge-interval must be a number of seconds from 0 to 86400"],
    ];
    for (const [flag, value, message] of cases) {
      expect(await refusal(flag, value), `${flag} ${JSON.stringify(value)}`).to.deep.equal({
        code: 2,
        err: `npm start: ${message} (got ${JSON.stringify(value)})\n`,
      });
    }
  });

  it("names the first bad flag only, once", async () => {
    expect(await refusal("--seed", "x", "--viewer-port", "y")).to.deep.equal({
      code: 2,
      err: 'npm start: --seed must be a whole number from 0 to 2147483647 (got "x")\n',
    });
  });
});
