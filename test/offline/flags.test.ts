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
  it("refuse what is not a number within the flag's range, naming the flag and the form it wants", async () => {
    const cases: [string, string, string][] = [
      ["--seed", "x", "--seed must be a whole number from 0 to 2147483647"],
      ["--seed", "-1", "--seed must be a whole number from 0 to 2147483647"],
      ["--seed", "2147483648", "--seed must be a whole number from 0 to 2147483647"],
      ["--camera-images", "0", "--camera-images must be a whole number from 1 to 10000"],
      ["--camera-images", "5.5", "--camera-images must be a whole number from 1 to 10000"],
      ["--viewer-port", "65536", "--viewer-port must be a whole number from 0 to 65535"],
      ["--viewer-port", "Infinity", "--viewer-port must be a whole number from 0 to 65535"],
      ["--images", "100001", "--images must be a whole number from 1 to 100000"],
      ["--edge-seconds", "soon", "--edge-seconds must be a number of seconds from 0 to 86400"],
      ["--edge-seconds", "-0.5", "--edge-seconds must be a number of seconds from 0 to 86400"],
      ["--edge-interval", "86400.5", "--edge-interval must be a number of seconds from 0 to 86400"],
    ];
    for (const [flag, value, message] of cases) {
      expect(await refusal(flag, value), `${flag} ${JSON.stringify(value)}`).to.deep.equal({
        code: 2,
        err: `npm start: ${message} (got ${JSON.stringify(value)})\n`,
      });
    }
  });

  // Flags are checked in order, so a later bad flag is what gets named when the earlier one passes.
  it("take whatever Number() reads, as they always have: exponents, hex, blanks, 5.0 as a whole number", async () => {
    const cases: [string, string][] = [
      ["--images", "1e3"],
      ["--images", "0x10"],
      ["--seed", " 7 "],
      ["--seed", ""],
      ["--camera-images", "5.0"],
      ["--edge-seconds", "1e2"],
      ["--edge-interval", "0.25"],
    ];
    for (const [flag, value] of cases) {
      expect(await refusal(flag, value, "--viewer-port", "y"), `${flag} ${JSON.stringify(value)}`).to.deep.equal({
        code: 2,
        err: 'npm start: --viewer-port must be a whole number from 0 to 65535 (got "y")\n',
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
