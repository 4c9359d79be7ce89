# Copied from seed 002, "Use Case 2: System Restart Recovery"; otherwise unchanged.
# On application startup, recover interrupted batches
response = requests.post(f"{BASE_URL}/batch/recover")
result = response.json()

print(f"Recovered {result['recovered_count']} interrupted batches")

# List all batches
batches = requests.get(f"{BASE_URL}/batch/list").json()['batches']

# Resume paused batches
for batch in batches:
    if batch['status'] == 'paused':
        print(f"Resuming batch {batch['batch_id']}")
        requests.post(f"{BASE_URL}/batch/{batch['batch_id']}/resume")
