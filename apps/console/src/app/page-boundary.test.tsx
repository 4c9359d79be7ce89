import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeErrorDetails, useErrorDetailsSource } from '../errors/error-details-store';
import { PageBoundary } from './page-boundary';

function Broken(): never {
  throw new TypeError('cannot read properties of undefined');
}

function OpenedDetails() {
  const source = useErrorDetailsSource();
  return <output>{source && 'details' in source ? source.details.name : 'none'}</output>;
}

describe('the page error boundary', () => {
  afterEach(() => closeErrorDetails());

  it('shows a fallback with View details and Reload instead of a blank page', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    render(
      <>
        <PageBoundary resetKey="/batches">
          <Broken />
        </PageBoundary>
        <OpenedDetails />
      </>,
    );
    expect(screen.getByRole('alert').textContent).toContain('cannot read properties of undefined');
    expect(screen.getByRole('button', { name: 'Reload' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'View details' }));
    expect(screen.getByRole('status').textContent).toBe('TypeError');
  });

  it('starts over on another page', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { rerender } = render(
      <PageBoundary resetKey="/a">
        <Broken />
      </PageBoundary>,
    );
    expect(screen.getByRole('alert')).toBeTruthy();
    rerender(
      <PageBoundary resetKey="/b">
        <p>fine</p>
      </PageBoundary>,
    );
    expect(screen.getByText('fine')).toBeTruthy();
  });
});
