using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Models;

/// <summary>
/// Dropout with its own random generator: the same maths as <c>torch.nn.Dropout</c> (in training mode each element
/// is kept with probability 1 - p and scaled by 1 / (1 - p), else zeroed; in evaluation mode the identity), but the
/// masks come from <see cref="Generator"/>, not from torch's process-wide generator, so a run's masks depend only on
/// its seed and not on what other experiments (or threads) draw meanwhile.
/// </summary>
/// <remarks>
/// The trainer gives every <see cref="Dropout"/> of a model a generator derived from the experiment's seed before
/// training (<see cref="SeedAll"/>). A module that was never seeded draws from torch's global generator, as
/// <c>nn.Dropout</c> does.
/// </remarks>
public sealed class Dropout : nn.Module<Tensor, Tensor>
{
    private Generator? generator;

    /// <param name="p">The probability of zeroing an element, in [0, 1).</param>
    public Dropout(double p = 0.5)
        : base(nameof(Dropout))
    {
        if (!(p is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "dropout p must be in [0, 1)");
        }

        P = p;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The generator the masks come from (owned by this module), or null for torch's global generator.</summary>
    public Generator? Generator => generator;

    /// <summary>Draws the masks from a new generator seeded with <paramref name="seed"/> (the old one is disposed).</summary>
    public void Seed(ulong seed, Device? device = null)
    {
        generator?.Dispose();
        generator = device is null || device.type == DeviceType.CPU ? new Generator(seed) : new Generator(seed, device);
    }

    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!training || P == 0)
        {
            return input;
        }

        var keep = 1 - P;
        using var scale = keep.ToScalar();
        using var mask = empty_like(input, requires_grad: false);
        using (no_grad())
        {
            mask.bernoulli_(keep, generator).div_(scale);
        }

        return input.mul(mask);
    }

    /// <summary>
    /// Gives every <see cref="Dropout"/> in <paramref name="model"/> (itself included) a generator seeded from
    /// <paramref name="seed"/> and the module's position in <c>modules()</c>, so two dropout layers draw different
    /// masks and a run's masks depend only on the seed. Returns how many modules were seeded.
    /// </summary>
    public static int SeedAll(nn.Module model, long seed, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var index = 0;
        foreach (var dropout in AllIn(model))
        {
            dropout.Seed(DeriveSeed(seed, index), device);
            index++;
        }

        return index;
    }

    /// <summary>Every <see cref="Dropout"/> in <paramref name="model"/> (itself included), in the order <see cref="SeedAll"/> numbers them.</summary>
    public static IReadOnlyList<Dropout> AllIn(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new[] { model }.Concat(model.modules()).Distinct().OfType<Dropout>().ToList();
    }

    /// <summary>A 64-bit seed for the <paramref name="index"/>th dropout layer of a run seeded <paramref name="seed"/> (SplitMix64 of both).</summary>
    internal static ulong DeriveSeed(long seed, int index)
    {
        var z = unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) + ((ulong)index + 1) * 0xD1B54A32D192ED03UL + 0x0D20_0D20UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            generator?.Dispose();
            generator = null;
        }

        base.Dispose(disposing);
    }
}
