using System;
using System.Globalization;
using System.Numerics.Tensors;
using ConvNet.Layers;

namespace ConvNet.Training;

/// <summary>A layer and its dotted index path in the network ("3", or "2.body.0" inside containers, as in the
/// parameter names), so messages stay unambiguous when layers share a name.</summary>
internal readonly record struct LayerLocation(string Path, Layer Layer)
{
    /// <summary>"layer 2.body.0 (Conv2D)", with the layer's name added when it is not its type name.</summary>
    public override string ToString() =>
        Layer.Name == Layer.TypeName ? $"layer {Path} ({Layer.TypeName})" : $"layer {Path} ({Layer.TypeName} '{Layer.Name}')";

    /// <summary>
    /// The first layer, depth first, for which <paramref name="bad"/> holds; <paramref name="bad"/> must hold for a
    /// container whenever it holds for one of its children (as a test over <see cref="Layer.Parameters"/> does), and a
    /// container is named itself only when none of its children is bad.
    /// </summary>
    public static LayerLocation? First(Network network, Func<Layer, bool> bad)
    {
        var layers = network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            if (Find(layers[i], i.ToString(CultureInfo.InvariantCulture), bad) is LayerLocation found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>True when a parameter's gradient holds NaN or ∞ (a parameter never back-propagated has none).</summary>
    public static bool NonFiniteGradient(Layer layer)
    {
        // Indexed loops: this runs after every training step and must not allocate enumerators.
        var parameters = layer.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.HasGradient && !Finite(p.Gradient.AsSpan()))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when a parameter's value or a state buffer holds NaN or ∞.</summary>
    public static bool NonFiniteState(Layer layer)
    {
        var parameters = layer.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (!Finite(parameters[i].Value.AsSpan()))
            {
                return true;
            }
        }

        var buffers = layer.Buffers;
        for (int i = 0; i < buffers.Count; i++)
        {
            if (!Finite(buffers[i].Value.AsSpan()))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Finite(ReadOnlySpan<float> values) => values.IsEmpty || float.IsFinite(TensorPrimitives.MaxMagnitude(values));

    private static LayerLocation? Find(Layer layer, string path, Func<Layer, bool> bad)
    {
        if (!bad(layer))
        {
            return null;
        }

        var children = layer.Children;
        for (int j = 0; j < children.Count; j++)
        {
            string key = layer is Block block ? block.ChildKey(j) : j.ToString(CultureInfo.InvariantCulture);
            if (Find(children[j], path + "." + key, bad) is LayerLocation inner)
            {
                return inner;
            }
        }

        return new LayerLocation(path, layer);
    }
}
