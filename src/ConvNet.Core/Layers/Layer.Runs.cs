using System.Collections.Generic;

namespace ConvNet.Layers;

// How containers run their children's forward: alone, as a fused BatchNorm → ReLU pair, or — during a prediction —
// a convolution with the inference BatchNorm (and ReLU) after it.
public abstract partial class Layer
{
    /// <summary>
    /// Whether the current forward belongs to a <see cref="Network.Predict(Tensor)"/> (set on the whole tree for its
    /// duration): no Backward can follow, so containers may also run layers whose intermediate output a Backward would
    /// need as one (a convolution with the inference BatchNorm after it).
    /// </summary>
    internal bool Predicting { get; private set; }

    /// <summary>
    /// Sets <see cref="Predicting"/> for this layer and, through the library's own containers (Sequential, Residual,
    /// Add, Concat: their forward never runs a child's Backward), for their children. A container of the user's may
    /// run a child's Backward inside its own Forward (an input-gradient layer), so the flag stops there and nothing
    /// inside it folds (found by a review).
    /// </summary>
    internal void SetPredicting(bool predicting)
    {
        Predicting = predicting;
        if (this is not (Sequential or Residual or Add or Concat))
        {
            return;
        }

        var children = Children;
        for (int i = 0; i < children.Count; i++)
        {
            children[i].SetPredicting(predicting);
        }
    }

    /// <summary>
    /// How many layers from <paramref name="layers"/>[i] a container's forward runs as one: 3 or 2 for a convolution
    /// followed by an inference BatchNorm (and a ReLU) during a prediction, 2 for a layer that absorbs the ReLU after it,
    /// else 1. <see cref="ForwardRun"/> runs them; the outputs in between are never written.
    /// </summary>
    internal static int ForwardRunLength(IReadOnlyList<Layer> layers, int i, bool predicting)
    {
        if (predicting && i + 1 < layers.Count && layers[i] is ConvolutionND conv && layers[i + 1] is BatchNorm norm && conv.CanApply(norm))
        {
            return i + 2 < layers.Count && layers[i + 2] is ReLU ? 3 : 2;
        }

        return FusesWithNext(layers, i) ? 2 : 1;
    }

    /// <summary>Runs the <paramref name="length"/> layers from <paramref name="layers"/>[i] (see <see cref="ForwardRunLength"/>)
    /// from <paramref name="input"/> into <paramref name="output"/>, the last one's output.</summary>
    internal static void ForwardRun(IReadOnlyList<Layer> layers, int i, int length, Tensor input, Tensor output)
    {
        if (length == 1)
        {
            layers[i].Forward(input, output);
        }
        else if (layers[i] is ConvolutionND conv && layers[i + 1] is BatchNorm norm)
        {
            conv.ForwardNormalized(input, output, norm, relu: length == 3);
        }
        else
        {
            layers[i].ForwardReLU(input, output);
        }
    }

    /// <summary>Whether <paramref name="layers"/>[i] absorbs the ReLU at [i + 1] (a container's fused pair).</summary>
    internal static bool FusesWithNext(IReadOnlyList<Layer> layers, int i) =>
        i + 1 < layers.Count && layers[i + 1] is ReLU && layers[i].AbsorbsReLU;
}
