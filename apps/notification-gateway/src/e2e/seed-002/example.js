// Copied from seed 002, "JavaScript/TypeScript Example"; otherwise unchanged.
const BASE_URL = "http://localhost:5100";

// Start batch
async function startBatch(photoIds, sessionId = null) {
  const response = await fetch(`${BASE_URL}/batch/start`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      photo_ids: photoIds,
      session_id: sessionId
    })
  });
  
  const data = await response.json();
  return data.batch_id;
}

// Monitor progress
async function monitorBatch(batchId) {
  const response = await fetch(`${BASE_URL}/batch/${batchId}/status`);
  const status = await response.json();
  
  console.log(`Progress: ${status.progress_percent}%`);
  console.log(`Status: ${status.status}`);
  
  return status;
}

// Pause batch
async function pauseBatch(batchId) {
  await fetch(`${BASE_URL}/batch/${batchId}/pause`, {
    method: 'POST'
  });
}

// Resume batch
async function resumeBatch(batchId) {
  await fetch(`${BASE_URL}/batch/${batchId}/resume`, {
    method: 'POST'
  });
}

// Usage
(async () => {
  const batchId = await startBatch([1, 2, 3, 4, 5]);
  console.log(`Batch started: ${batchId}`);
  
  // Monitor until complete
  while (true) {
    const status = await monitorBatch(batchId);
    
    if (status.status === 'completed') {
      console.log('Batch completed!');
      break;
    }
    
    await new Promise(resolve => setTimeout(resolve, 5000));
  }
})();
