// Users from a list (e.g. your team roster): create who is missing, fix roles that differ, remove
// who left — `omnictl user create / set-role / delete`, as a reconcile loop you can run from CI.
// The demo list uses @example.org addresses and removes them again at the end (KEEP_USERS=1
// keeps them). Needs an Admin key.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/users.ts
import { OmniClient, OmniError } from "omni-wasm";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const domain = "@example.org"; // only users of this domain are managed here

/** Make the users of `domain` exactly `roster`; returns what was done. */
async function reconcile(roster: Record<string, string>): Promise<string[]> {
  const done: string[] = [];
  const current = (await omni.listUsers()).filter((u) => u.email.endsWith(domain));
  for (const [email, role] of Object.entries(roster)) {
    const user = current.find((u) => u.email === email);
    if (!user) {
      await omni.createUser(email, role);
      done.push(`created ${email} (${role})`);
    } else if (user.role !== role) {
      await omni.setUserRole(email, role);
      done.push(`${email}: ${user.role} → ${role}`);
    }
  }
  for (const user of current) {
    if (!(user.email in roster)) {
      await omni.deleteUser(user.email);
      done.push(`deleted ${user.email}`);
    }
  }
  return done;
}

const roster = { "alice@example.org": "Admin", "bob@example.org": "Operator", "carol@example.org": "Reader" };
console.log((await reconcile(roster)).join("\n"));
const roles = Object.fromEntries((await omni.listUsers()).map((u) => [u.email, u.role]));
for (const [email, role] of Object.entries(roster)) check(roles[email] === role, `${email} is ${role}`);
check((await reconcile(roster)).length === 0, "a second run changes nothing");

// bob moves to read-only, carol leaves, dave joins
const next = { "alice@example.org": "Admin", "bob@example.org": "Reader", "dave@example.org": "Operator" };
const changes = await reconcile(next);
console.log(changes.join("\n"));
check(changes.length === 3, "one role change, one deletion, one creation");
check(!(await omni.listUsers()).some((u) => u.email === "carol@example.org"), "carol removed");

// what Omni refuses comes back as an OmniError with a code
try {
  await omni.createUser("alice@example.org", "Admin");
  throw new Error("a duplicate user was accepted");
} catch (e) {
  check(e instanceof OmniError && e.code === "ALREADY_EXISTS", `duplicate user: ${e}`);
}

if (env("KEEP_USERS", "") !== "1") {
  console.log((await reconcile({})).join("\n"));
  check(!(await omni.listUsers()).some((u) => u.email.endsWith(domain)), "demo users removed");
}
console.log("ok");
