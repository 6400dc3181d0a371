# background jobs and wait with their statuses
sleep 0.1 &
echo started
wait $!
echo "waited: $?"
(exit 5) &
wait $!
echo "bg status: $?"
for i in 1 2 3; do (echo "job $i" >j39.$i) & done
wait
cat j39.1 j39.2 j39.3
rm j39.1 j39.2 j39.3
