import { Component, type ErrorInfo, type ReactNode } from 'react';
import { detailsOfClientError } from '../errors/error-details';
import { showErrorDetails } from '../errors/error-details-store';

interface Props {
  children: ReactNode;
  /** Changes when the page changes: a new page starts without the old one's error. */
  resetKey: string;
}

interface State {
  error: Error | null;
  resetKey: string;
}

/** Around each page: a component that throws shows this fallback, never a blank screen. */
export class PageBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.resetKey ? null : { error: null, resetKey: props.resetKey };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('page failed', error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="panel fallback" role="alert" aria-labelledby="fallback-title">
        <h1 id="fallback-title">Something went wrong on this page</h1>
        <p>{error.message || 'The page failed to render.'}</p>
        <div className="toolbar">
          <button
            type="button"
            className="button"
            onClick={() =>
              showErrorDetails({ details: detailsOfClientError(error, { name: error.name || 'Error' }) })
            }
          >
            View details
          </button>
          <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </section>
    );
  }
}
