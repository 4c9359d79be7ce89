import { useId, useState, type FormEvent } from 'react';
import { looksLikeJwt } from './token-store';
import { useSession } from './session';

/** Checks a token against the gateway before keeping it: a refused one is said at once. */
async function checkToken(token: string): Promise<string | null> {
  try {
    const response = await fetch(`${window.location.origin}/api/v1/batches?limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status === 401)
      return 'The gateway refused this token (expired, or signed with another secret).';
    return null;
  } catch {
    return 'Cannot reach the gateway. Is it running?';
  }
}

export function SignInPage() {
  const { signIn, signedOutReason } = useSession();
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const tokenId = useId();
  const hintId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = token.trim();
    if (!looksLikeJwt(candidate)) return setProblem('This is not a JWT (three dot-separated parts).');
    setChecking(true);
    const refused = await checkToken(candidate);
    setChecking(false);
    if (refused) return setProblem(refused);
    signIn(candidate);
  };

  return (
    <main id="main" className="sign-in">
      <section className="panel" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to the batch console</h1>
        {signedOutReason && (
          <p className="notice notice-warning" role="alert">
            {signedOutReason}
          </p>
        )}
        <p id={hintId} className="muted">
          Open the sign-in link <code>npm start</code> prints (<code>http://localhost:3000/#token=…</code>),
          or paste a token: a JWT signed with the gateway&apos;s <code>AUTH_JWT_SECRET</code>, its{' '}
          <code>sub</code> being your user id. It is kept in this browser only.
        </p>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <label htmlFor={tokenId}>Access token</label>
          <textarea
            id={tokenId}
            rows={4}
            value={token}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={hintId}
            aria-invalid={problem !== null}
            onChange={(event) => {
              setToken(event.target.value);
              setProblem(null);
            }}
          />
          {problem && (
            <p className="field-error" role="alert">
              {problem}
            </p>
          )}
          <button type="submit" className="button button-primary" disabled={checking || token.trim() === ''}>
            {checking ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </section>
    </main>
  );
}
