import { describe, expect, it } from "vitest";
import { defaultDevBranch } from "../../cli/watch/dev-branch.js";
import { isValidRefName } from "../../runtime/lake/names.js";

describe("bp watch's default branch", () => {
  it("is dev-<user>, the user made a valid branch name", () => {
    expect(defaultDevBranch("ann")).toBe("dev-ann");
    expect(defaultDevBranch("Ann Lee")).toBe("dev-Ann-Lee");
    expect(defaultDevBranch("DOMAIN\\ann.lee")).toBe("dev-DOMAIN-ann-lee");
    expect(defaultDevBranch("x.lock")).toBe("dev-x-lock");
    expect(defaultDevBranch("..")).toBe("dev-user");
    expect(defaultDevBranch("")).toBe("dev-user");
    expect(defaultDevBranch("josé")).toBe("dev-jos");
    for (const user of ["ann", "Ann Lee", "a/b\\c", "..", "x.lock", "-", "é", "a".repeat(300)]) expect(isValidRefName(defaultDevBranch(user))).toBe(true);
    expect(defaultDevBranch()).toMatch(/^dev-[A-Za-z0-9_-]+$/);
  });
});
