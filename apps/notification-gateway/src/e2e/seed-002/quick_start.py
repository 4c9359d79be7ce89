# Copied from seed 002, "Quick Start" sections 1-5 (their code blocks concatenated in order, a blank line between); otherwise unchanged.
import requests

BASE_URL = "http://localhost:5100"

# Start processing a batch of photos
response = requests.post(f"{BASE_URL}/batch/start", json={
    "photo_ids": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "session_id": 123,  # Optional
    "config": {         # Optional processing config
        "preset": "WhiteLayer_v4",
        "blend": 60
    }
})

batch_id = response.json()["batch_id"]
print(f"Batch started: {batch_id}")

# Get batch status
status = requests.get(f"{BASE_URL}/batch/{batch_id}/status").json()

print(f"Status: {status['status']}")
print(f"Progress: {status['progress_percent']}%")
print(f"Processed: {status['processed_count']}/{status['total_photos']}")
print(f"Failed: {status['failed_count']}")

# Pause the batch (e.g., to free up resources)
response = requests.post(f"{BASE_URL}/batch/{batch_id}/pause")

if response.status_code == 200:
    print("Batch paused successfully")

# Resume the paused batch
response = requests.post(f"{BASE_URL}/batch/{batch_id}/resume")

if response.status_code == 200:
    print("Batch resumed successfully")

# Cancel the batch if no longer needed
response = requests.post(f"{BASE_URL}/batch/{batch_id}/cancel")

if response.status_code == 200:
    print("Batch cancelled successfully")
