using System;
using System.Numerics.Tensors;
using ConvNet.Data;
using ConvNet.Losses;

namespace ConvNet.Training;

/// <summary>Evaluation: loss, accuracy and confusion matrix.</summary>
public sealed partial class Trainer
{
    /// <summary>Loss, accuracy and confusion matrix of the network on <paramref name="data"/>.</summary>
    /// <param name="data">The data set.</param>
    /// <returns>The evaluation (see <see cref="Evaluate(Network, Loss, DataSource, int)"/> for NaN outputs).</returns>
    public EvaluationResult Evaluate(DataSource data)
    {
        ThrowHelper.NotNull(data, nameof(data));
        CheckData(Network, data, nameof(data));
        return Evaluate(Network, Loss, data, Options.EvaluationBatchSize);
    }

    /// <summary>Loss, accuracy and confusion matrix of a classification network on <paramref name="data"/>, or the loss
    /// alone of a regression network on data with float targets.</summary>
    /// <remarks>
    /// A sample whose output holds NaN or ∞ has no prediction: it never counts as correct, is left out of the confusion
    /// matrix and is counted in <see cref="EvaluationResult.NonFiniteOutputs"/>; the loss is then NaN or ∞, as Keras
    /// reports it. (An arg-max over NaN would pick class 0 and could make garbage look accurate.)
    /// </remarks>
    /// <param name="network">The network ([N, K] output).</param>
    /// <param name="loss">The loss to report.</param>
    /// <param name="data">The data set.</param>
    /// <param name="batchSize">Evaluation batch size.</param>
    /// <returns>The evaluation.</returns>
    public static EvaluationResult Evaluate(Network network, Loss loss, DataSource data, int batchSize = 256)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(loss, nameof(loss));
        ThrowHelper.NotNull(data, nameof(data));
        ThrowHelper.Positive(batchSize, nameof(batchSize));
        CheckData(network, data, nameof(data));
        int n = data.Count, k = data.HasLabels ? data.Classes : 1, b = Math.Min(batchSize, n);
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        var confusion = new int[k, k];
        var labels = new int[b];
        double lossSum = 0;
        int correct = 0, nonFinite = 0;
        Tensor? x = null, y = null, t = null;
        for (int start = 0; start < n; start += b)
        {
            int count = Math.Min(b, n - start);
            if (x is null || x.Shape[0] != count)
            {
                x = new Tensor(Layers.Layer.BatchShape(count, data.SampleShape));
                y = new Tensor(Layers.Layer.BatchShape(count, network.OutputShape));
                t = data.HasLabels ? null : new Tensor(Layers.Layer.BatchShape(count, network.OutputShape));
            }

            data.CopyBatch(order.AsSpan(start, count), x, labels, t);
            network.Predict(x, y!);
            if (t is not null)
            {
                lossSum += (double)loss.Forward(y!, t) * count;
                continue;
            }

            lossSum += (double)loss.Forward(y!, labels.AsSpan(0, count)) * count;
            for (int s = 0; s < count; s++)
            {
                int predicted = Predicted(y!.AsSpan().Slice(s * k, k));
                if (predicted < 0)
                {
                    nonFinite++;
                    continue;
                }

                confusion[labels[s], predicted]++;
                correct += predicted == labels[s] ? 1 : 0;
            }
        }

        return data.HasLabels
            ? new EvaluationResult(lossSum / n, (double)correct / n, new ConfusionMatrix(confusion), nonFinite)
            : new EvaluationResult(lossSum / n, double.NaN, null, 0);
    }

    /// <summary>The arg-max class of one output row, or −1 when the row holds NaN or ∞ (no prediction).</summary>
    private static int Predicted(ReadOnlySpan<float> row) => LayerLocation.Finite(row) ? TensorPrimitives.IndexOfMax(row) : -1;

    private static int CountCorrect(Tensor y, ReadOnlySpan<int> labels)
    {
        int n = labels.Length, k = y.Length / n, correct = 0;
        for (int s = 0; s < n; s++)
        {
            correct += Predicted(y.AsSpan().Slice(s * k, k)) == labels[s] ? 1 : 0;
        }

        return correct;
    }
}
